// A program whose crash leaves values of every C kind in its frames, for comparing corekit
// debug's print, info locals/args, ptype and bt full with gdb's on the same core. Built -O0 so
// that every variable has a home. main -> build_and_crash -> crash_in, which dereferences NULL.
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum color { RED, GREEN = 4, BLUE };
typedef unsigned long counter_t;
struct point {
  int x;
  int y;
};
struct flags {
  unsigned ready : 1;
  unsigned mode : 3;
  int level : 4;
};
union number {
  int i;
  float f;
  unsigned char bytes[4];
};
struct node {
  int value;
  const char* label;
  struct node* next;
};
struct record {
  char name[16];
  int scores[5];
  double ratio;
  float weight;
  enum color color;
  struct point where;
  struct point* at;
  struct flags flags;
  union number number;
  bool active;
  signed char small;
  unsigned char byte;
  short delta;
  long long big;
  uint64_t mask;
  int zeros[30];
  char text_repeat[40];
  void (*callback)(int);
  const char* message;
  int matrix[2][3];
  struct {
    int inner_a;
    char inner_b;
  } nested;
};

int global_counter = 42;
const char* global_greeting = "hello, \"world\"\n";
struct point global_origin = {-3, 7};
int global_array[8] = {1, 2, 3};
counter_t global_ticks = 123456789;
double global_pi = 3.14159;
float global_third = 1.0f / 3.0f;
enum color global_color = BLUE;
struct node* global_list;

void on_event(int code) { global_counter += code; }

__attribute__((noinline)) int crash_in(struct record* rec, struct node* list, int depth, const char* tag,
                                       struct point pt, char letter, double factor) {
  static int calls = 7;
  int local_sum = 0;
  struct point local_pt = {pt.x + 1, pt.y + 2};
  int* volatile nowhere = NULL;
  for (struct node* n = list; n; n = n->next) local_sum += n->value;
  calls++;
  return *nowhere + local_sum + (int)factor + letter + depth + tag[0] + rec->where.x + local_pt.x + calls;
}

__attribute__((noinline)) int build_and_crash(int depth) {
  struct node third = {3, "third", NULL};
  struct node second = {2, "second", &third};
  struct node first = {1, "first", &second};
  struct record rec;
  memset(&rec, 0, sizeof rec);
  strcpy(rec.name, "widget");
  for (int i = 0; i < 5; ++i) rec.scores[i] = (i + 1) * 10;
  rec.ratio = 0.1;
  rec.weight = 2.5f;
  rec.color = GREEN;
  rec.where.x = 12;
  rec.where.y = -34;
  rec.at = &global_origin;
  rec.flags.ready = 1;
  rec.flags.mode = 5;
  rec.flags.level = -3;
  rec.number.f = 1.5f;
  rec.active = true;
  rec.small = -7;
  rec.byte = 200;
  rec.delta = -1234;
  rec.big = -9876543210LL;
  rec.mask = 0xdeadbeefcafef00dULL;
  memset(rec.text_repeat, 'z', 25);
  rec.text_repeat[25] = '\t';
  rec.callback = on_event;
  rec.message = "it's \"quoted\"";
  for (int i = 0; i < 6; ++i) rec.matrix[i / 3][i % 3] = i * i;
  rec.nested.inner_a = 77;
  rec.nested.inner_b = 'k';
  global_list = &first;
  return crash_in(&rec, &first, depth, "tagged", rec.where, 'Q', 2.5);
}

int main(int argc, char** argv) {
  (void)argv;
  return build_and_crash(argc + 2);
}
