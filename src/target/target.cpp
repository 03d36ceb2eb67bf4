#include "corekit/target/target.h"

#include <algorithm>

#include "corekit/elf/bytes.h"

namespace corekit::target {

std::string_view ProducerName(Producer producer) {
  switch (producer) {
    case Producer::kKernel: return "kernel";
    case Producer::kGcore: return "gcore";
    case Producer::kCorekit: return "corekit";
    case Producer::kLive: return "live";
    default: return "unknown";
  }
}

std::string_view BackingName(Backing backing) {
  switch (backing) {
    case Backing::kCore: return "core";
    case Backing::kPartial: return "partial";
    case Backing::kFile: return "file";
    case Backing::kLive: return "live";
    default: return "absent";
  }
}

std::string_view MappingKind(std::string_view path) {
  if (path.empty()) return "anonymous";
  if (path.starts_with('[')) return "special";
  if (path.starts_with("/memfd:")) return "memfd";
  if (path.starts_with("anon_inode:")) return "anon_inode";
  if (path.starts_with("/SYSV")) return "sysv_shm";
  if (path.starts_with("/anon_hugepage")) return "hugetlbfs";
  if (path.starts_with("/dev/")) return "device";
  if (path.ends_with(" (deleted)")) return "deleted";
  return "file";
}

const elf::Register* Thread::FindRegister(std::string_view name) const {
  for (const auto* set : {&registers, &fp_registers, &vector_registers}) {
    for (const elf::Register& reg : *set) {
      if (reg.name == name) return &reg;
    }
  }
  return nullptr;
}

std::optional<std::uint64_t> Process::Auxv(std::uint64_t type) const {
  for (const elf::AuxvEntry& e : auxv) {
    if (e.type == type) return e.value;
  }
  return std::nullopt;
}

Result<void> Target::ReadExact(std::uint64_t address, std::span<std::uint8_t> out) {
  std::size_t done = 0;
  while (done < out.size()) {
    auto got = ReadSome(address + done, out.subspan(done));
    if (!got) return Unexpected(got.error());
    done += *got;
  }
  return {};
}

Result<std::string> Target::ReadCString(std::uint64_t address, std::size_t max_length) {
  std::string out;
  std::uint8_t chunk[256];
  while (out.size() < max_length) {
    const std::size_t want = std::min(sizeof chunk, max_length - out.size());
    auto got = ReadSome(address + out.size(), std::span<std::uint8_t>(chunk, want));
    if (!got) {
      if (!out.empty()) return out;  // a string that runs into a hole ends there
      return Unexpected(got.error());
    }
    for (std::size_t i = 0; i < *got; ++i) {
      if (chunk[i] == 0) return out;
      out.push_back(static_cast<char>(chunk[i]));
    }
  }
  return out;
}

Result<std::uint64_t> Target::ReadWord(std::uint64_t address, unsigned width) {
  std::uint8_t buffer[8];
  if (width != 1 && width != 2 && width != 4 && width != 8) {
    return Unexpected(Errc::kInvalidArgument, "word width " + std::to_string(width));
  }
  auto read = ReadExact(address, std::span<std::uint8_t>(buffer, width));
  if (!read) return Unexpected(read.error());
  return *elf::Bytes(buffer, width, abi().endian).Uint(0, width);
}

const Thread* Target::FindThread(std::int64_t tid) const {
  for (const Thread& t : threads()) {
    if (t.tid == tid) return &t;
  }
  return nullptr;
}

}  // namespace corekit::target
