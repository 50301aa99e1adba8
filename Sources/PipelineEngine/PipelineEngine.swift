import ImageCodecs
import Logging
