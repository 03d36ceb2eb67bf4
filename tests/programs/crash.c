/* A program that crashes on purpose, in a known state, for core-dump tests.
 *
 *   crash [--threads=N] [--mode=segv|abort|fpe|wait] [--heap-marker=TEXT] [--alloc-mib=M]
 *         [--nondumpable]
 *
 * It starts N worker threads (default 3), each parked in a known call chain, writes a marker
 * string into the heap and one into main's stack, and prints one line of facts to stdout before
 * acting, so a test can compare a core with what the process itself reported:
 *   ready pid=P heap=0xADDR stack=0xADDR tids=T1,T2,...
 * Modes: segv — the last worker dereferences NULL three calls deep; segv-inline — the same
 * inside two inlined functions; overflow — the last worker recurses until its stack overflows;
 * assert — main fails an assert(); abort — main calls abort(); handler — a SIGUSR1 handler
 * aborts;
 * fpe — integer division by zero in main; wait — everyone sleeps until killed (for gcore and
 * `corekit dump`). --alloc-mib makes the process that much bigger (touched heap) for
 * benchmarks; --nondumpable calls prctl(PR_SET_DUMPABLE, 0). */
#define _GNU_SOURCE
#include <assert.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* <sys/prctl.h> needs <asm/types.h>, which the i386 build here lacks (see install-deps). */
extern int prctl(int option, ...);
#define PR_SET_DUMPABLE 4
#include <unistd.h>

/* A frame of its own under -O2: GCC would otherwise propagate across even noinline functions. */
#if defined(__clang__)
#define KEEP_FRAME __attribute__((noinline))
#else
#define KEEP_FRAME __attribute__((noinline, noipa))
#endif

#define MAX_THREADS 64
static pthread_barrier_t ready_barrier;
static pid_t worker_tids[MAX_THREADS];
static int thread_count = 3;
static const char* mode = "segv";
static char* volatile big_block;
static volatile int divisor = 0, numerator = 100; /* both volatile: gcc computes 1/x without idiv */

KEEP_FRAME static int crash_here(int* p) { return *p + 1; }
KEEP_FRAME static int middle(int* p) { return crash_here(p) * 2; }
KEEP_FRAME static int outer(int* p) { return middle(p) + 3; }

/* --mode=segv-inline: the fault happens two inlined calls deep inside inlined_outer. */
static inline __attribute__((always_inline)) int inlined_deref(int* p) { return *p * 3; }
static inline __attribute__((always_inline)) int inlined_middle(int* p) { return inlined_deref(p) + 5; }
KEEP_FRAME static int inlined_outer(int* p) { return inlined_middle(p) - 1; }

/* --mode=overflow: unbounded recursion in the last worker until its stack's guard page. */
KEEP_FRAME static int recurse(int depth) {
  volatile char pad[256];
  pad[0] = (char)depth;
  if (depth < 0) return 0; /* never: keeps the compiler from calling the recursion infinite */
  return recurse(depth + 1) + pad[0];
}

/* --mode=handler: main raises SIGUSR1, whose handler aborts: the abort's stack runs through
 * the kernel's signal trampoline. */
KEEP_FRAME static void on_usr1(int sig) {
  (void)sig;
  abort();
}
KEEP_FRAME static int raise_usr1(void) { return raise(SIGUSR1) + 1; /* not a tail call */ }

KEEP_FRAME static void park(void) {
  for (;;) pause();
}

static void* worker(void* arg) {
  long index = (long)arg;
  worker_tids[index] = gettid();
  pthread_barrier_wait(&ready_barrier);
  if (strcmp(mode, "segv") == 0 && index == thread_count - 1) {
    usleep(100 * 1000); /* let main print the facts first */
    int* volatile null_pointer = NULL;
    printf("%d\n", outer(null_pointer));
  }
  if (strcmp(mode, "overflow") == 0 && index == thread_count - 1) {
    usleep(100 * 1000);
    printf("%d\n", recurse(0));
  }
  if (strcmp(mode, "segv-inline") == 0 && index == thread_count - 1) {
    usleep(100 * 1000);
    int* volatile null_pointer = NULL;
    printf("%d\n", inlined_outer(null_pointer));
  }
  park();
  return NULL;
}

int main(int argc, char** argv) {
  const char* heap_text = "COREKIT-HEAP-MARKER";
  for (int i = 1; i < argc; ++i) {
    if (strncmp(argv[i], "--threads=", 10) == 0) thread_count = atoi(argv[i] + 10);
    else if (strncmp(argv[i], "--mode=", 7) == 0) mode = argv[i] + 7;
    else if (strncmp(argv[i], "--heap-marker=", 14) == 0) heap_text = argv[i] + 14;
    else if (strcmp(argv[i], "--nondumpable") == 0) prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    else if (strncmp(argv[i], "--alloc-mib=", 12) == 0) {
      const size_t bytes = (size_t)atol(argv[i] + 12) << 20;
      big_block = malloc(bytes); /* kept in a volatile global: clang drops an unused malloc+memset */
      if (big_block) memset(big_block, 0x5a, bytes);
    }
  }
  if (thread_count < 1 || thread_count > MAX_THREADS) thread_count = 3;
  char stack_marker[32] = "COREKIT-STACK-MARKER";
  char* heap_marker = strdup(heap_text);
  pthread_barrier_init(&ready_barrier, NULL, (unsigned)thread_count + 1);
  pthread_t threads[MAX_THREADS];
  for (long i = 0; i < thread_count; ++i) pthread_create(&threads[i], NULL, worker, (void*)i);
  pthread_barrier_wait(&ready_barrier);
  printf("ready pid=%d heap=%p stack=%p tids=", getpid(), (void*)heap_marker, (void*)stack_marker);
  for (int i = 0; i < thread_count; ++i) printf("%s%d", i ? "," : "", worker_tids[i]);
  printf("\n");
  fflush(stdout);
  if (strcmp(mode, "abort") == 0) abort();
  if (strcmp(mode, "handler") == 0) {
    signal(SIGUSR1, on_usr1);
    printf("%d\n", raise_usr1());
  }
  if (strcmp(mode, "assert") == 0) assert(thread_count == 12345 && "the ledger must balance");
  if (strcmp(mode, "fpe") == 0) printf("%d\n", numerator / divisor);
  park();
  return 0;
}
