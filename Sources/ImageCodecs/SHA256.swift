/// SHA-256 (FIPS 180-4) in pure Swift, used to fingerprint decoded samples.
///
/// One-shot helpers hash a byte array or a raw buffer; `SHA256.Hasher` hashes input that arrives
/// in pieces (big files, one row at a time). Digests are 32 bytes; `hex` gives the usual
/// 64-character lower-case form used in `conformance/expected.json` and `equiscan inspect`.
public enum SHA256 {
    /// Digest length in bytes.
    public static let digestByteCount = 32

    /// The 32-byte digest of `bytes`.
    public static func digest(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBytes { digest($0) }
    }

    /// The 32-byte digest of the bytes in `buffer`.
    public static func digest(_ buffer: UnsafeRawBufferPointer) -> [UInt8] {
        var hasher = Hasher()
        hasher.update(buffer)
        return hasher.finalize()
    }

    /// The digest of `bytes` as 64 lower-case hexadecimal digits.
    public static func hex(_ bytes: [UInt8]) -> String {
        hexString(digest(bytes))
    }

    /// The digest of the bytes in `buffer` as 64 lower-case hexadecimal digits.
    public static func hex(_ buffer: UnsafeRawBufferPointer) -> String {
        hexString(digest(buffer))
    }

    /// The digest of `samples` laid out as in `conformance/expected.json`: each sample in its own
    /// type, in storage order, multi-byte samples little-endian.
    public static func hex(_ samples: Samples) -> String {
        var hasher = Hasher()
        hasher.update(samples)
        return hexString(hasher.finalize())
    }

    /// Lower-case hexadecimal form of any byte string.
    public static func hexString(_ bytes: [UInt8]) -> String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Incremental SHA-256: feed bytes with `update` any number of times, then `finalize` once.
    public struct Hasher: Sendable {
        private var state = State()
        /// Bytes of an incomplete block carried to the next `update` (always < 64 of them used).
        private var pending = [UInt8](repeating: 0, count: 64)
        private var pendingCount = 0
        /// Total message length so far, in bytes.
        private var length: UInt64 = 0
        private var finalized = false

        public init() {}

        /// Adds `bytes` to the message.
        public mutating func update(_ bytes: [UInt8]) {
            bytes.withUnsafeBytes { update($0) }
        }

        /// Adds the bytes of `buffer` to the message.
        public mutating func update(_ buffer: UnsafeRawBufferPointer) {
            precondition(!finalized, "SHA256.Hasher.update called after finalize")
            guard let base = buffer.baseAddress, buffer.count > 0 else { return }
            var offset = 0
            let count = buffer.count
            length &+= UInt64(count)
            if pendingCount > 0 {
                let take = min(64 - pendingCount, count)
                pending.withUnsafeMutableBytes { dst in
                    guard let d = dst.baseAddress else { return }
                    (d + pendingCount).copyMemory(from: base, byteCount: take)
                }
                pendingCount += take
                offset = take
                if pendingCount == 64 {
                    pending.withUnsafeBytes {
                        SHA256.compress(&state, $0.baseAddress.unsafelyUnwrapped, blocks: 1)
                    }
                    pendingCount = 0
                }
            }
            let fullBlocks = (count - offset) / 64
            if fullBlocks > 0 {
                SHA256.compress(&state, base + offset, blocks: fullBlocks)
                offset += fullBlocks * 64
            }
            let rest = count - offset
            if rest > 0 {
                pending.withUnsafeMutableBytes { dst in
                    guard let d = dst.baseAddress else { return }
                    d.copyMemory(from: base + offset, byteCount: rest)
                }
                pendingCount = rest
            }
        }

        /// Adds `samples` in the `expected.json` layout (little-endian, storage order).
        public mutating func update(_ samples: Samples) {
            switch samples {
            case .uint8(let a): a.withUnsafeBytes { update($0) }
            case .int8(let a): a.withUnsafeBytes { update($0) }
            case .uint16(let a): updateLittleEndian(a)
            case .int16(let a): updateLittleEndian(a)
            case .uint32(let a): updateLittleEndian(a)
            case .int32(let a): updateLittleEndian(a)
            case .float32(let a):
                #if _endian(little)
                a.withUnsafeBytes { update($0) }
                #else
                updateLittleEndian(a.map(\.bitPattern))
                #endif
            case .float64(let a):
                #if _endian(little)
                a.withUnsafeBytes { update($0) }
                #else
                updateLittleEndian(a.map(\.bitPattern))
                #endif
            }
        }

        private mutating func updateLittleEndian<T: FixedWidthInteger>(_ values: [T]) {
            #if _endian(little)
            values.withUnsafeBytes { update($0) }
            #else
            // Big-endian hosts swap in chunks so memory stays bounded for whole scans.
            let chunk = 4096
            var start = 0
            while start < values.count {
                let end = min(start + chunk, values.count)
                let swapped = values[start..<end].map(\.littleEndian)
                swapped.withUnsafeBytes { update($0) }
                start = end
            }
            #endif
        }

        /// Pads the message and returns its 32-byte digest. Call once.
        public mutating func finalize() -> [UInt8] {
            precondition(!finalized, "SHA256.Hasher.finalize called twice")
            let bitLength = length &* 8
            // Padding: 0x80, zeros up to 56 mod 64, then the bit length big-endian.
            var tail = [UInt8](repeating: 0, count: pendingCount < 56 ? 64 : 128)
            for i in 0..<pendingCount { tail[i] = pending[i] }
            tail[pendingCount] = 0x80
            for i in 0..<8 {
                tail[tail.count - 1 - i] = UInt8(truncatingIfNeeded: bitLength >> (8 * UInt64(i)))
            }
            tail.withUnsafeBytes {
                SHA256.compress(&state, $0.baseAddress.unsafelyUnwrapped, blocks: tail.count / 64)
            }
            finalized = true
            var out = [UInt8]()
            out.reserveCapacity(32)
            let st = state
            for word in [st.h0, st.h1, st.h2, st.h3, st.h4, st.h5, st.h6, st.h7] {
                out.append(UInt8(truncatingIfNeeded: word >> 24))
                out.append(UInt8(truncatingIfNeeded: word >> 16))
                out.append(UInt8(truncatingIfNeeded: word >> 8))
                out.append(UInt8(truncatingIfNeeded: word))
            }
            return out
        }
    }

    /// The eight working hash words, initialised to the fractional parts of the square roots of
    /// the first eight primes.
    fileprivate struct State: Sendable {
        var h0: UInt32 = 0x6a09_e667, h1: UInt32 = 0xbb67_ae85
        var h2: UInt32 = 0x3c6e_f372, h3: UInt32 = 0xa54f_f53a
        var h4: UInt32 = 0x510e_527f, h5: UInt32 = 0x9b05_688c
        var h6: UInt32 = 0x1f83_d9ab, h7: UInt32 = 0x5be0_cd19
    }

    /// Runs the compression function over `blocks` consecutive 64-byte blocks at `data`.
    fileprivate static func compress(_ state: inout State, _ data: UnsafeRawPointer,
                                      blocks: Int) {
        var s0 = state.h0, s1 = state.h1, s2 = state.h2, s3 = state.h3
        var s4 = state.h4, s5 = state.h5, s6 = state.h6, s7 = state.h7
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
            roundConstants.withUnsafeBufferPointer { k in
                for block in 0..<blocks {
                    let p = data + block * 64
                    for t in 0..<16 {
                        w[t] = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: t * 4,
                                                                  as: UInt32.self))
                    }
                    for t in 16..<64 {
                        let x = w[t - 15], y = w[t - 2]
                        let sigma0 = rotr(x, 7) ^ rotr(x, 18) ^ (x >> 3)
                        let sigma1 = rotr(y, 17) ^ rotr(y, 19) ^ (y >> 10)
                        w[t] = w[t - 16] &+ sigma0 &+ w[t - 7] &+ sigma1
                    }
                    var a = s0, b = s1, c = s2, d = s3, e = s4, f = s5, g = s6, h = s7
                    // Eight rounds per iteration with the working variables renamed instead
                    // of shifted, so no register moves are needed between rounds.
                    var t = 0
                    while t < 64 {
                        round(a, b, c, &d, e, f, g, &h, k[t] &+ w[t])
                        round(h, a, b, &c, d, e, f, &g, k[t + 1] &+ w[t + 1])
                        round(g, h, a, &b, c, d, e, &f, k[t + 2] &+ w[t + 2])
                        round(f, g, h, &a, b, c, d, &e, k[t + 3] &+ w[t + 3])
                        round(e, f, g, &h, a, b, c, &d, k[t + 4] &+ w[t + 4])
                        round(d, e, f, &g, h, a, b, &c, k[t + 5] &+ w[t + 5])
                        round(c, d, e, &f, g, h, a, &b, k[t + 6] &+ w[t + 6])
                        round(b, c, d, &e, f, g, h, &a, k[t + 7] &+ w[t + 7])
                        t += 8
                    }
                    s0 &+= a; s1 &+= b; s2 &+= c; s3 &+= d
                    s4 &+= e; s5 &+= f; s6 &+= g; s7 &+= h
                }
            }
        }
        state = State(h0: s0, h1: s1, h2: s2, h3: s3, h4: s4, h5: s5, h6: s6, h7: s7)
    }

    /// One SHA-256 round (FIPS 180-4, 6.2.2 step 3) on the working variables a…h, where the
    /// caller renames them: `d` receives the new `e` and `h` the new `a`.
    @inline(__always)
    private static func round(_ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: inout UInt32,
                              _ e: UInt32, _ f: UInt32, _ g: UInt32, _ h: inout UInt32,
                              _ kw: UInt32) {
        let bigSigma1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
        let choose = (e & f) ^ (~e & g)
        let t1 = h &+ bigSigma1 &+ choose &+ kw
        let bigSigma0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
        let majority = (a & b) ^ (a & c) ^ (b & c)
        d = d &+ t1
        h = t1 &+ bigSigma0 &+ majority
    }

    @inline(__always)
    private static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 {
        (x >> n) | (x << (32 - n))
    }

    /// First 32 bits of the fractional parts of the cube roots of the first 64 primes.
    private static let roundConstants: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1,
        0x923f_82a4, 0xab1c_5ed5, 0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3,
        0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174, 0xe49b_69c1, 0xefbe_4786,
        0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147,
        0x06ca_6351, 0x1429_2967, 0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13,
        0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85, 0xa2bf_e8a1, 0xa81a_664b,
        0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a,
        0x5b9c_ca4f, 0x682e_6ff3, 0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208,
        0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]
}
