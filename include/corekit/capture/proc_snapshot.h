// What only /proc/PID knows of a crashing process, read while the kernel holds it (until the
// handler closes the core pipe): status, command line, environment, cwd, root, exe, cgroup,
// limits, maps, mountinfo, open files, namespaces. Every field is data the crashing program
// chose: read with a size limit, through a directory descriptor, never followed or executed.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace corekit::capture {

struct Container {
  std::string id;       // 64 hex digits (or what the runtime uses)
  std::string runtime;  // docker, podman, containerd, crio, kubepods
};

// The container a process runs in, from its cgroup file: docker's /docker/ID and docker-ID.scope,
// podman's libpod-ID.scope, containerd's cri-containerd-ID.scope, CRI-O's crio-ID.scope, and
// Kubernetes' kubepods hierarchy (runtime "kubepods" whatever runs it).
std::optional<Container> ContainerOfCgroup(std::string_view cgroup);

struct ProcSnapshot {
  bool available = false;     // /proc/PID could be opened (and is the crashed process)
  std::string why_not;        // when it could not
  bool pidfd_verified = false;  // the kernel's pidfd (%F) names the process /proc/PID is
  std::optional<std::int64_t> own_pid;    // the last NSpid: the pid inside its pid namespace
  std::optional<std::int64_t> uid, gid;   // real ids
  std::string comm, executable, command_line, cwd, root;
  bool other_mount_namespace = false, other_pid_namespace = false;
  std::optional<Container> container;
  nlohmann::json json;        // every file read, by name
};

// Reads /proc/PID; `pidfd` (the kernel's %F, or -1) is checked to name the same process.
ProcSnapshot SnapshotProcess(pid_t pid, int pidfd);

// At most `limit` bytes of `text`, cut at a UTF-8 boundary, with "…" where it was cut.
std::string Limited(std::string text, std::size_t limit);

}  // namespace corekit::capture
