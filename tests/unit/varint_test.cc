// Tests for the varint reader (store/projection/varint.h): every length from
// one to ten bytes round-trips whether it is read from one 8-byte load or byte
// by byte near the end of the input, and on any bytes at all the fast reader
// agrees with the plain byte-by-byte one (value, length, refusal).
#include "store/projection/varint.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace rollbook::store {
namespace {

struct Read {
  bool ok = false;
  uint64_t value = 0;
  size_t length = 0;
  bool operator==(const Read&) const = default;
};

Read ReadFast(const std::string& bytes) {
  const auto* begin = reinterpret_cast<const uint8_t*>(bytes.data());
  const uint8_t* p = begin;
  Read r;
  r.ok = varint::Read(p, begin + bytes.size(), &r.value);
  r.length = r.ok ? static_cast<size_t>(p - begin) : 0;
  if (!r.ok) r.value = 0;
  return r;
}

// The definition, one byte at a time, written apart from varint.h.
Read ReadPlain(const std::string& bytes) {
  Read r;
  for (size_t i = 0; i < bytes.size() && i < 10; ++i) {
    const auto byte = static_cast<uint8_t>(bytes[i]);
    r.value |= static_cast<uint64_t>(byte & 0x7f) << (7 * i);
    if (byte < 0x80) {
      r.ok = true;
      r.length = i + 1;
      return r;
    }
  }
  return Read{};
}

std::string Encoded(uint64_t v) {
  std::string out;
  varint::Put(out, v);
  return out;
}

TEST(Varint, every_length_round_trips_from_a_load_and_byte_by_byte) {
  std::vector<uint64_t> values = {0, 1, std::numeric_limits<uint64_t>::max(),
                                  static_cast<uint64_t>(std::numeric_limits<int64_t>::max())};
  for (int bits = 7; bits < 64; bits += 7) {
    values.push_back((uint64_t{1} << bits) - 1);  // the longest of a length
    values.push_back(uint64_t{1} << bits);        // the shortest of the next
  }
  for (uint64_t v : values) {
    const std::string encoded = Encoded(v);
    ASSERT_LE(encoded.size(), 10u);
    // Followed by 0 to 10 more bytes: short inputs take the byte-by-byte path.
    for (size_t extra = 0; extra <= 10; ++extra) {
      const std::string input = encoded + std::string(extra, '\xff');
      const Read r = ReadFast(input);
      EXPECT_TRUE(r.ok) << v << " with " << extra << " more bytes";
      EXPECT_EQ(r.value, v) << v << " with " << extra << " more bytes";
      EXPECT_EQ(r.length, encoded.size()) << v << " with " << extra << " more bytes";
    }
  }
}

TEST(Varint, a_truncated_or_overlong_varint_is_refused) {
  const std::string longest = Encoded(std::numeric_limits<uint64_t>::max());
  for (size_t n = 0; n < longest.size(); ++n) {
    EXPECT_FALSE(ReadFast(longest.substr(0, n)).ok) << n << " bytes";
  }
  EXPECT_FALSE(ReadFast(std::string(11, '\x80') + '\x01').ok) << "eleven bytes";
  EXPECT_FALSE(ReadFast(std::string(10, '\x80') + '\x00').ok) << "eleven bytes, the last a zero";
}

TEST(Varint, the_fast_reader_agrees_with_the_definition_on_any_bytes) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 200'000; ++i) {
    // Short strings whose bytes mostly carry the continuation bit, so that
    // every length and every way of ending is common.
    std::string bytes(rng() % 13, '\0');
    for (char& c : bytes) c = static_cast<char>(rng() % 8 == 0 ? rng() % 0x80 : 0x80 | (rng() % 0x80));
    const Read fast = ReadFast(bytes), plain = ReadPlain(bytes);
    ASSERT_EQ(fast, plain) << "case " << i << ", " << bytes.size() << " bytes";
  }
}

TEST(Varint, zigzag_keeps_small_negative_numbers_short) {
  for (int64_t v : {int64_t{0}, int64_t{-1}, int64_t{1}, int64_t{-64}, int64_t{63},
                    std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()}) {
    EXPECT_EQ(varint::UnZigZag(varint::ZigZag(v)), v);
  }
  EXPECT_EQ(Encoded(varint::ZigZag(-64)).size(), 1u);
  EXPECT_EQ(Encoded(varint::ZigZag(-65)).size(), 2u);
}

}  // namespace
}  // namespace rollbook::store
