/* A service in the state triage scripts look for, then killed by abort() for its core:
 *
 *   triage [--workers=N] [--nodes=M]
 *
 * - N workers (default 4) idle in the same call chain (worker_loop -> wait_for_job ->
 *   pthread_cond_wait): identical stacks, one group;
 * - two threads deadlocked: "transfer_ab" holds lock_a and waits for lock_b, "transfer_ba" holds
 *   lock_b and waits for lock_a (what a deadlock finder must report, through glibc's __owner);
 * - a singly linked list of M orders (default 100) in the heap, from the global `orders`: order i
 *   has id i and amount 3 * i + 1, so the amounts sum to 3 * M * (M - 1) / 2 + M;
 * - main prints "ready pid=P ab=TID ba=TID" and aborts once all of them are blocked. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KEEP_FRAME __attribute__((noinline))

struct order {
  int id;
  long amount;
  char customer[16];
  struct order *next;
};

struct order *orders;
long order_count;

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t jobs_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t jobs_ready = PTHREAD_COND_INITIALIZER;
static pthread_barrier_t holding;  /* both transfers hold their first lock */
static volatile pid_t ab_tid, ba_tid;
static volatile int idle_workers;

static KEEP_FRAME void wait_for_job(void) {
  pthread_mutex_lock(&jobs_lock);
  ++idle_workers;
  for (;;) pthread_cond_wait(&jobs_ready, &jobs_lock);
}

static KEEP_FRAME void *worker_loop(void *arg) {
  (void)arg;
  wait_for_job();
  return NULL;
}

static KEEP_FRAME void transfer(pthread_mutex_t *first, pthread_mutex_t *second) {
  pthread_mutex_lock(first);
  pthread_barrier_wait(&holding);
  pthread_mutex_lock(second); /* never returns: the other transfer holds it */
  pthread_mutex_unlock(second);
  pthread_mutex_unlock(first);
}

static KEEP_FRAME void *transfer_ab(void *arg) {
  (void)arg;
  ab_tid = gettid();
  transfer(&lock_a, &lock_b);
  return NULL;
}

static KEEP_FRAME void *transfer_ba(void *arg) {
  (void)arg;
  ba_tid = gettid();
  transfer(&lock_b, &lock_a);
  return NULL;
}

static void make_orders(long count) {
  struct order **tail = &orders;
  for (long i = 0; i < count; ++i) {
    struct order *o = calloc(1, sizeof *o);
    o->id = (int)i;
    o->amount = 3 * i + 1;
    snprintf(o->customer, sizeof o->customer, "customer-%ld", i % 7);
    *tail = o;
    tail = &o->next;
  }
  order_count = count;
}

/* A thread is blocked once the kernel says it sleeps in a futex wait. */
static int sleeping(pid_t tid) {
  char path[64], stat[512];
  snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  size_t n = fread(stat, 1, sizeof stat - 1, f);
  fclose(f);
  stat[n] = 0;
  const char *close = strrchr(stat, ')');
  return close && close[1] == ' ' && close[2] == 'S';
}

int main(int argc, char **argv) {
  int workers = 4;
  long nodes = 100;
  for (int i = 1; i < argc; ++i) {
    if (strncmp(argv[i], "--workers=", 10) == 0) workers = atoi(argv[i] + 10);
    else if (strncmp(argv[i], "--nodes=", 8) == 0) nodes = atol(argv[i] + 8);
  }
  make_orders(nodes);
  pthread_barrier_init(&holding, NULL, 2);
  pthread_t t;
  for (int i = 0; i < workers; ++i) pthread_create(&t, NULL, worker_loop, NULL);
  pthread_create(&t, NULL, transfer_ab, NULL);
  pthread_create(&t, NULL, transfer_ba, NULL);
  for (int tries = 0; tries < 5000; ++tries) {
    if (idle_workers == workers && ab_tid && ba_tid && sleeping(ab_tid) && sleeping(ba_tid)) break;
    usleep(1000);
  }
  usleep(20000); /* past the futex syscall's entry, into the wait itself */
  printf("ready pid=%d ab=%d ba=%d\n", (int)getpid(), (int)ab_tid, (int)ba_tid);
  fflush(stdout);
  abort();
}
