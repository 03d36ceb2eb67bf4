// Bytes: a bounds-checked, endian-aware view of untrusted bytes.
//
// Every read from a core file goes through this view. Reads past the end return std::nullopt
// rather than reading out of bounds, so a decoder cannot be tricked by a size or offset taken
// from the file. The view does not own its bytes: it stays valid as long as the buffer it was
// made from (for a core, the mapping held by core::CoreFile).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace corekit::elf {

enum class Endian { kLittle, kBig };

class Bytes {
 public:
  Bytes() = default;
  Bytes(const std::uint8_t* data, std::size_t size, Endian endian = Endian::kLittle)
      : data_(data), size_(size), endian_(endian) {}

  const std::uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  Endian endian() const { return endian_; }

  // True when [offset, offset + length) lies inside the view, without overflow.
  bool Contains(std::uint64_t offset, std::uint64_t length) const {
    return offset <= size_ && length <= size_ - offset;
  }

  // The sub-view [offset, offset + length), or nullopt when it does not fit.
  std::optional<Bytes> Sub(std::uint64_t offset, std::uint64_t length) const {
    if (!Contains(offset, length)) return std::nullopt;
    return Bytes(data_ + offset, static_cast<std::size_t>(length), endian_);
  }
  // The sub-view from offset to the end (empty when offset is past the end).
  Bytes From(std::uint64_t offset) const {
    if (offset >= size_) return Bytes(data_ + size_, 0, endian_);
    return Bytes(data_ + offset, size_ - static_cast<std::size_t>(offset), endian_);
  }
  Bytes WithEndian(Endian endian) const { return Bytes(data_, size_, endian); }

  std::optional<std::uint8_t> U8(std::uint64_t offset) const {
    if (!Contains(offset, 1)) return std::nullopt;
    return data_[offset];
  }
  std::optional<std::uint16_t> U16(std::uint64_t offset) const {
    return Load<std::uint16_t>(offset);
  }
  std::optional<std::uint32_t> U32(std::uint64_t offset) const {
    return Load<std::uint32_t>(offset);
  }
  std::optional<std::uint64_t> U64(std::uint64_t offset) const {
    return Load<std::uint64_t>(offset);
  }
  // An unsigned integer of 1, 2, 4 or 8 bytes, widened to 64 bits.
  std::optional<std::uint64_t> Uint(std::uint64_t offset, unsigned width) const {
    switch (width) {
      case 1: return U8(offset);
      case 2: return U16(offset);
      case 4: return U32(offset);
      case 8: return U64(offset);
      default: return std::nullopt;
    }
  }
  // A signed integer of 2, 4 or 8 bytes, sign-extended to 64 bits.
  std::optional<std::int64_t> Int(std::uint64_t offset, unsigned width) const {
    auto v = Uint(offset, width);
    if (!v) return std::nullopt;
    if (width == 8) return static_cast<std::int64_t>(*v);
    const unsigned bits = width * 8;
    const std::uint64_t sign = std::uint64_t{1} << (bits - 1);
    return static_cast<std::int64_t>((*v ^ sign) - sign);
  }

  // A NUL-terminated string within [offset, offset + max_length); a missing terminator ends
  // the string at the field's end, as C fields like pr_fname are allowed to be unterminated.
  std::string_view CString(std::uint64_t offset, std::uint64_t max_length) const {
    if (offset >= size_) return {};
    std::size_t limit = size_ - static_cast<std::size_t>(offset);
    if (max_length < limit) limit = static_cast<std::size_t>(max_length);
    const char* start = reinterpret_cast<const char*>(data_ + offset);
    const void* nul = std::memchr(start, 0, limit);
    return std::string_view(start, nul ? static_cast<const char*>(nul) - start : limit);
  }
  std::string_view AsString() const {
    return std::string_view(reinterpret_cast<const char*>(data_), size_);
  }

 private:
  template <typename T>
  std::optional<T> Load(std::uint64_t offset) const {
    if (!Contains(offset, sizeof(T))) return std::nullopt;
    T value = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) {
      const std::size_t index = endian_ == Endian::kLittle ? sizeof(T) - 1 - i : i;
      value = static_cast<T>((value << 8) | data_[offset + index]);
    }
    return value;
  }

  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
  Endian endian_ = Endian::kLittle;
};

// Hex formatting shared by error messages in every layer.
std::string Hex(std::uint64_t value);

}  // namespace corekit::elf
