/* A service that notices being paused, for --non-stop tests and benchmarks.
 *
 *   heartbeat [--threads=N] [--alloc-mib=M] [--busy] [--dontfork] [--seccomp] [--nproc0]
 *
 * A heartbeat thread wakes every millisecond and keeps the longest gap it saw between two
 * wake-ups; main blocks in read(2) on stdin and echoes each line ("read: LINE") — with --busy a
 * second thread does that and main instead spins in a loop that checks its own arithmetic
 * (printing "corrupt" and exiting 3 if a register it relies on ever changes under it); N idle
 * threads wait in a futex (pthread_cond_wait); a status thread waits for SIGUSR1 (sigwait) and
 * prints "status max_gap_us=G sigchld=C", resetting the gap. A SIGCHLD handler counts SIGCHLDs.
 * --alloc-mib touches that much heap; --dontfork adds a 1 MiB MADV_DONTFORK mapping;
 * --seccomp installs an allow-everything seccomp filter; --nproc0 sets RLIMIT_NPROC to 0 (a
 * non-root process then cannot fork). Prints "ready pid=P heap=0xADDR" first. Main is the
 * thread corekit --non-stop injects its fork into. */
#define _GNU_SOURCE
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t sigchld_count = 0;
static long long max_gap_ns = 0;
static pthread_mutex_t gap_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t idle_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t idle_cond = PTHREAD_COND_INITIALIZER;
static char* volatile heap;

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void* beat(void* arg) {
  (void)arg;
  long long last = now_ns();
  for (;;) {
    usleep(1000);
    const long long t = now_ns();
    pthread_mutex_lock(&gap_lock);
    if (t - last > max_gap_ns) max_gap_ns = t - last;
    pthread_mutex_unlock(&gap_lock);
    last = t;
  }
  return NULL;
}

static void* reader(void* arg) {
  (void)arg;
  char line[256];
  for (;;) {
    const ssize_t n = read(0, line, sizeof line - 1);
    if (n <= 0) {
      printf("read failed: %zd\n", n); /* an interrupted read that was not restarted */
      fflush(stdout);
      return NULL;
    }
    line[n] = 0;
    printf("read: %s", line);
    fflush(stdout);
  }
}

static void* status(void* arg) {
  (void)arg;
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  for (;;) {
    int sig = 0;
    sigwait(&usr1, &sig);
    pthread_mutex_lock(&gap_lock);
    const long long gap = max_gap_ns;
    max_gap_ns = 0;
    pthread_mutex_unlock(&gap_lock);
    printf("status max_gap_us=%lld sigchld=%d\n", gap / 1000, (int)sigchld_count);
    fflush(stdout);
  }
  return NULL;
}

/* Two ways to the same sum, over and over: an injected call that failed to restore a register
 * exactly would make them differ. */
static void spin(void) {
  static volatile unsigned char buffer[4096];
  for (unsigned long round = 1;; ++round) {
    unsigned long forward = 0, backward = 0;
    for (unsigned i = 0; i < sizeof buffer; ++i) buffer[i] = (unsigned char)(round * 31 + i);
    for (unsigned i = 0; i < sizeof buffer; ++i) forward += buffer[i] * (i + 1);
    for (unsigned i = sizeof buffer; i-- > 0;) backward += buffer[i] * (i + 1);
    if (forward != backward) {
      printf("corrupt\n");
      fflush(stdout);
      exit(3);
    }
  }
}

static void* idle(void* arg) {
  (void)arg;
  pthread_mutex_lock(&idle_lock);
  for (;;) pthread_cond_wait(&idle_cond, &idle_lock);
  return NULL;
}

static void on_chld(int sig) { (void)sig; sigchld_count = sigchld_count + 1; }

static void allow_all_seccomp(void) {
  struct sock_filter filter[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
  struct sock_fprog program = {1, filter};
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0) perror("seccomp");
}

int main(int argc, char** argv) {
  int threads = 1, nproc0 = 0, busy = 0;
  for (int i = 1; i < argc; ++i) {
    if (strncmp(argv[i], "--threads=", 10) == 0) threads = atoi(argv[i] + 10);
    else if (strncmp(argv[i], "--alloc-mib=", 12) == 0) {
      const size_t bytes = (size_t)atol(argv[i] + 12) << 20;
      heap = malloc(bytes);
      if (heap) memset(heap, 0x5a, bytes);
    } else if (strcmp(argv[i], "--seccomp") == 0) allow_all_seccomp();
    else if (strcmp(argv[i], "--busy") == 0) busy = 1;
    else if (strcmp(argv[i], "--dontfork") == 0) {
      char* region = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (region != MAP_FAILED) {
        memset(region, 'D', 1 << 20);
        madvise(region, 1 << 20, MADV_DONTFORK);
      }
    }
    else if (strcmp(argv[i], "--nproc0") == 0) nproc0 = 1;
  }
  signal(SIGCHLD, on_chld);
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &usr1, NULL); /* every thread inherits it; the status thread waits */
  pthread_t t;
  pthread_create(&t, NULL, beat, NULL);
  pthread_create(&t, NULL, status, NULL);
  if (busy) pthread_create(&t, NULL, reader, NULL);
  for (int i = 0; i < threads; ++i) pthread_create(&t, NULL, idle, NULL);
  if (!heap) heap = strdup("HEARTBEAT-HEAP");
  if (nproc0) { /* after the threads exist: they count against the limit too */
    struct rlimit zero = {0, 0};
    setrlimit(RLIMIT_NPROC, &zero);
  }
  printf("ready pid=%d heap=%p\n", getpid(), (void*)heap);
  fflush(stdout);
  if (busy) spin();
  reader(NULL);
  return 0;
}
