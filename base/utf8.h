// UTF-8 well-formedness (RFC 3629): no overlong forms, no surrogates, nothing
// above U+10FFFF — the same rule protobuf applies to `string` fields.
//
// Used where text enters rollbook (manifests, store/fold/manifest.cc) and at
// the record decoder's gate for the text fields that the wire schema declares
// as `bytes` so that protobuf does not re-check them on every serialize and
// parse (events/codec.h). Runs of ASCII are skipped eight bytes at a time:
// names, command lines and templates are almost always ASCII.
#pragma once

#include <cstddef>
#include <string_view>

namespace rollbook {

// Offset of the first byte where `text` stops being UTF-8, or npos.
size_t FirstInvalidUtf8(std::string_view text);

}  // namespace rollbook
