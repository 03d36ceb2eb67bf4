/* A service that notices being paused, for --non-stop tests and benchmarks.
 *
 *   heartbeat [--threads=N] [--alloc-mib=M] [--seccomp] [--nproc0]
 *
 * A heartbeat thread wakes every millisecond and keeps the longest gap it saw between two
 * wake-ups; a reader thread blocks in read(2) on stdin and echoes each line ("read: LINE"); N
 * idle threads wait in a futex (pthread_cond_wait); main waits in pause(2). A SIGCHLD handler
 * counts SIGCHLDs. On SIGUSR1 main prints "status max_gap_us=G sigchld=C" and resets the gap.
 * --alloc-mib touches that much heap; --seccomp installs an allow-everything seccomp filter;
 * --nproc0 sets RLIMIT_NPROC to 0 (so a non-root process cannot fork). Prints
 * "ready pid=P heap=0xADDR" first. */
#define _GNU_SOURCE
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t report_requested = 0, sigchld_count = 0;
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
    if (n <= 0) return NULL;
    line[n] = 0;
    printf("read: %s", line);
    fflush(stdout);
  }
}

static void* idle(void* arg) {
  (void)arg;
  pthread_mutex_lock(&idle_lock);
  for (;;) pthread_cond_wait(&idle_cond, &idle_lock);
  return NULL;
}

static void on_usr1(int sig) { (void)sig; report_requested = 1; }
static void on_chld(int sig) { (void)sig; sigchld_count = sigchld_count + 1; }

static void allow_all_seccomp(void) {
  struct sock_filter filter[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
  struct sock_fprog program = {1, filter};
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0) perror("seccomp");
}

int main(int argc, char** argv) {
  int threads = 1, nproc0 = 0;
  for (int i = 1; i < argc; ++i) {
    if (strncmp(argv[i], "--threads=", 10) == 0) threads = atoi(argv[i] + 10);
    else if (strncmp(argv[i], "--alloc-mib=", 12) == 0) {
      const size_t bytes = (size_t)atol(argv[i] + 12) << 20;
      heap = malloc(bytes);
      if (heap) memset(heap, 0x5a, bytes);
    } else if (strcmp(argv[i], "--seccomp") == 0) allow_all_seccomp();
    else if (strcmp(argv[i], "--nproc0") == 0) nproc0 = 1;
  }
  signal(SIGUSR1, on_usr1);
  signal(SIGCHLD, on_chld);
  pthread_t t;
  pthread_create(&t, NULL, beat, NULL);
  pthread_create(&t, NULL, reader, NULL);
  for (int i = 0; i < threads; ++i) pthread_create(&t, NULL, idle, NULL);
  if (!heap) heap = strdup("HEARTBEAT-HEAP");
  if (nproc0) { /* after the threads exist: they count against the limit too */
    struct rlimit zero = {0, 0};
    setrlimit(RLIMIT_NPROC, &zero);
  }
  printf("ready pid=%d heap=%p\n", getpid(), (void*)heap);
  fflush(stdout);
  for (;;) {
    pause();
    if (report_requested) {
      report_requested = 0;
      pthread_mutex_lock(&gap_lock);
      const long long gap = max_gap_ns;
      max_gap_ns = 0;
      pthread_mutex_unlock(&gap_lock);
      printf("status max_gap_us=%lld sigchld=%d\n", gap / 1000, (int)sigchld_count);
      fflush(stdout);
    }
  }
}
