#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>

/* oneDNN (Debian's build) threads through OpenMP (libgomp): the thread count of the calling
   thread's next parallel regions, declared here because omp.h lives in the compiler's own
   include folder. */
extern void omp_set_num_threads(int num_threads);
