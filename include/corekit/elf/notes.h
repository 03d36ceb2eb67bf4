// Notes: splitting a PT_NOTE segment into its ELF notes.
//
// Each note is {namesz, descsz, type} (three 32-bit words in the file's byte order), the owner
// name padded to the alignment, then the descriptor padded likewise. Linux, the BSDs and gcore
// write core notes with 4-byte alignment even in ELF64; GNU property notes in executables use
// 8 (PT_NOTE with p_align 8). A note whose sizes overflow the segment is reported to the
// diagnostics sink; the parser then looks ahead, 4 bytes at a time, for the next plausible
// note header, so a core whose notes were damaged in the middle (a shrunk NT_FILE) still
// yields its later notes. The scan is linear in the segment size.
//
// Note views point into the segment's bytes and live as long as those bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "corekit/base/diagnostics.h"
#include "corekit/elf/bytes.h"

namespace corekit::elf {

struct Note {
  std::string_view owner;    // without the terminating NUL
  std::uint32_t type = 0;
  Bytes desc;
  std::uint64_t offset = 0;  // file offset of the note header
};

// segment_offset is the segment's offset in the file, used only in messages and Note::offset.
// alignment is 4 or 8 (anything else is treated as 4).
std::vector<Note> ParseNotes(Bytes segment, std::uint64_t segment_offset, unsigned alignment,
                             Diagnostics& diagnostics);

// The spec's name of a note type for its owner ("NT_PRSTATUS"), or "" when unknown.
std::string_view NoteTypeName(std::string_view owner, std::uint32_t type);

}  // namespace corekit::elf

namespace corekit::elf {

// The descriptor of the first NT_GNU_BUILD_ID note (owner "GNU"), or nullopt.
std::optional<Bytes> GnuBuildId(const std::vector<Note>& notes);
// Lower-case hex of a byte string ("a1b2...").
std::string HexBytes(Bytes bytes);

}  // namespace corekit::elf
