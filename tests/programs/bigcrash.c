/* A big process that crashes, for the crash handler's tests and benchmarks.
 *
 *   bigcrash [--mapped-mib=M] [--random-mib=R] [--ordinary-mib=O] [--threads=N] [--wait]
 *
 * Maps M MiB of anonymous memory; fills the first R MiB with random bytes (incompressible) and
 * the next O MiB with what a program's memory ordinarily holds (strings, pointers, small
 * integers); leaves the rest untouched (the kernel dumps it as holes). Starts N threads parked in
 * a known function, prints "ready pid=P", then dereferences NULL in main (or, with --wait,
 * sleeps until a signal: the test sends one). Just before the fault it prints
 * "crashing t=SECONDS" (CLOCK_MONOTONIC). */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static void* park(void* arg) {
  (void)arg;
  for (;;) pause();
  return NULL;
}

static uint64_t state = 0x9e3779b97f4a7c15ull;
static uint64_t next_random(void) { /* xorshift64*: fast, and zstd cannot compress it */
  state ^= state >> 12;
  state ^= state << 25;
  state ^= state >> 27;
  return state * 0x2545f4914f6cdd1dull;
}

int main(int argc, char** argv) {
  size_t mapped = 64, random_mib = 16, ordinary_mib = 0;
  int threads = 0, wait = 0;
  for (int i = 1; i < argc; ++i) {
    if (strncmp(argv[i], "--mapped-mib=", 13) == 0) mapped = (size_t)atol(argv[i] + 13);
    else if (strncmp(argv[i], "--random-mib=", 13) == 0) random_mib = (size_t)atol(argv[i] + 13);
    else if (strncmp(argv[i], "--ordinary-mib=", 15) == 0) ordinary_mib = (size_t)atol(argv[i] + 15);
    else if (strncmp(argv[i], "--threads=", 10) == 0) threads = atoi(argv[i] + 10);
    else if (strcmp(argv[i], "--wait") == 0) wait = 1;
  }
  if (random_mib + ordinary_mib > mapped) mapped = random_mib + ordinary_mib;
  unsigned char* block = mmap(NULL, mapped << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (block == MAP_FAILED) return 2;
  uint64_t* words = (uint64_t*)block;
  for (size_t i = 0; i < (random_mib << 20) / 8; ++i) words[i] = next_random();
  /* Ordinary data: records of a name, a pointer to the next record and a few small counters. */
  unsigned char* ordinary = block + (random_mib << 20);
  const size_t record = 64;
  for (size_t off = 0; off + record <= (ordinary_mib << 20); off += record) {
    unsigned char* r = ordinary + off;
    snprintf((char*)r, 32, "customer-%zu@example.org", (off / record) % 5000);
    uint64_t next = (uint64_t)(uintptr_t)(r + record);
    memcpy(r + 32, &next, 8);
    uint32_t counters[4] = {(uint32_t)(off / record) % 100, 1, 0, (uint32_t)(off % 7)};
    memcpy(r + 40, counters, sizeof counters);
  }
  for (int i = 0; i < threads; ++i) {
    pthread_t t;
    pthread_create(&t, NULL, park, NULL);
  }
  printf("ready pid=%d\n", (int)getpid());
  fflush(stdout);
  if (wait) {
    for (;;) pause();
  }
  /* The benchmark measures from here to its parent's waitpid. */
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  printf("crashing t=%lld.%09ld\n", (long long)now.tv_sec, now.tv_nsec);
  fflush(stdout);
  volatile int* null = NULL;
  return *null;
}
