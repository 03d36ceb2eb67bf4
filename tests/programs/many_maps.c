/* Makes COUNT distinct mappings (default 80000) by mprotect-ing every other page of one big
 * anonymous mapping, touches each, then crashes (or waits with --wait), so that the kernel's
 * core has more than 65535 program headers and needs PN_XNUM. The caller must raise
 * /proc/sys/vm/max_map_count first. Prints "ready pid=P maps=COUNT base=0xADDR". */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char** argv) {
  long count = 80000;
  int wait = 0;
  for (int i = 1; i < argc; ++i) {
    if (strncmp(argv[i], "--count=", 8) == 0) count = atol(argv[i] + 8);
    else if (strcmp(argv[i], "--wait") == 0) wait = 1;
  }
  const long page = sysconf(_SC_PAGESIZE);
  /* count mappings from alternating protections: 2 pages per pair of mappings. */
  const size_t pages = (size_t)count;
  unsigned char* base = mmap(NULL, pages * page, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) {
    perror("mmap");
    return 2;
  }
  for (size_t i = 0; i < pages; ++i) base[i * page] = (unsigned char)(i & 0xff);
  for (size_t i = 1; i < pages; i += 2) {
    if (mprotect(base + i * page, page, PROT_READ) != 0) {
      perror("mprotect (raise vm.max_map_count)");
      return 3;
    }
  }
  printf("ready pid=%d maps=%ld base=%p\n", getpid(), count, (void*)base);
  fflush(stdout);
  if (wait) {
    for (;;) pause();
  }
  raise(SIGSEGV);
  return 0;
}
