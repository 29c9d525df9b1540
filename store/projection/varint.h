// Varints: the integer encoding of the listing rows (listing_row.h) and the
// listing checkpoints (listing_checkpoint.h). Unsigned LEB128: seven bits a
// byte, the lowest group first, the high bit set on every byte but the last;
// at most ten bytes (bits past the 64th are dropped). Signed values are
// zigzag-encoded first, as protobuf's sint64, so that small negative numbers
// stay short.
//
// Hand-written rather than protobuf's CodedInputStream: a `get --at` reads
// ~150,000 varints, a third of them six bytes long (times), and Read takes a
// multi-byte varint from one 8-byte load instead of byte by byte.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>

namespace rollbook::store::varint {

inline void Put(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

inline uint64_t ZigZag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
inline int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

// Byte by byte: what Read does near the end of the input and for varints
// of nine or ten bytes.
inline bool ReadByBytes(const uint8_t*& p, const uint8_t* end, uint64_t* out) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64 && p != end; shift += 7) {
    const uint8_t byte = *p++;
    v |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *out = v;
      return true;
    }
  }
  return false;
}

// Reads the varint at p, which must be before or at `end`, into *out and
// moves p past it. False when the input ends inside it or it is longer than
// ten bytes (p is then somewhere past the start).
inline bool Read(const uint8_t*& p, const uint8_t* end, uint64_t* out) {
  if (p != end && *p < 0x80) {  // most varints: flags, counts, replicas
    *out = *p++;
    return true;
  }
  if (end - p >= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    if constexpr (std::endian::native == std::endian::big) word = __builtin_bswap64(word);
    // A byte with its high bit clear ends the varint.
    const uint64_t last = ~word & 0x8080808080808080ULL;
    if (last != 0) {
      const int bits = std::countr_zero(last) + 1;  // 8 x the varint's length
      uint64_t v = (bits == 64 ? word : word & ((uint64_t{1} << bits) - 1)) & 0x7f7f7f7f7f7f7f7fULL;
      // Close the gaps between the 7-bit groups: pairs, then quads, then all eight.
      v = (v & 0x007f007f007f007fULL) | ((v & 0x7f007f007f007f00ULL) >> 1);
      v = (v & 0x00003fff00003fffULL) | ((v & 0x3fff00003fff0000ULL) >> 2);
      v = (v & 0x000000000fffffffULL) | ((v & 0x0fffffff00000000ULL) >> 4);
      p += bits / 8;
      *out = v;
      return true;
    }
  }
  return ReadByBytes(p, end, out);
}

}  // namespace rollbook::store::varint
