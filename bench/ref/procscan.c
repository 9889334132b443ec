/*
 * procscan: the minimum a process scan has to do on Linux, as a yardstick for
 * the agent's process collector (bench suite 1).
 *
 * One scan = list /proc, and for every numeric entry read /proc/<pid>/stat
 * once (one open, one read into a stack buffer, one close) and pull out pid,
 * comm (up to the LAST ')'), utime, stime and rss. Nothing is allocated per
 * process and nothing is printed per process: the parsed values are only
 * summed so the compiler cannot drop the work.
 *
 * Usage: procscan [ITERATIONS [PROC_ROOT]]
 * Prints one JSON object: {"processes":N,"ns":[t1,t2,...],"checksum":C}
 * where ns[i] is the wall time of scan i in nanoseconds (CLOCK_MONOTONIC).
 *
 * Compiled at bench time with the system cc (-O2); never shipped.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static unsigned long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

/* Skips `n` space-separated fields starting at p; returns the start of the next field or NULL. */
static const char *skip_fields(const char *p, const char *end, int n) {
  while (n > 0 && p < end) {
    if (*p++ == ' ') n--;
  }
  return n == 0 ? p : NULL;
}

static unsigned long long parse_ull(const char *p, const char *end) {
  unsigned long long v = 0;
  while (p < end && *p >= '0' && *p <= '9') v = v * 10 + (unsigned long long)(*p++ - '0');
  return v;
}

/* One scan; returns the number of processes read, adds parsed fields to *checksum. */
static int scan(const char *root, int rootfd, unsigned long long *checksum) {
  DIR *dir = opendir(root);
  if (dir == NULL) return -1;
  char path[NAME_MAX + 8]; /* "<d_name>/stat" */
  char buf[1024];
  int count = 0;
  struct dirent *de;
  while ((de = readdir(dir)) != NULL) {
    const char *name = de->d_name;
    if (name[0] < '1' || name[0] > '9') continue;
    int numeric = 1;
    for (const char *c = name; *c; c++) {
      if (*c < '0' || *c > '9') { numeric = 0; break; }
    }
    if (!numeric) continue;
    snprintf(path, sizeof path, "%s/stat", name);
    int fd = openat(rootfd, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue; /* exited meanwhile */
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) continue;
    const char *end = buf + n;
    const char *open = memchr(buf, '(', (size_t)n);
    const char *close_paren = memrchr(buf, ')', (size_t)n);
    if (open == NULL || close_paren == NULL || close_paren + 2 > end) continue;
    unsigned long long pid = parse_ull(buf, open);
    /* After ") ": field 3 is state; utime/stime are fields 14/15, rss is 24. */
    const char *f = close_paren + 2;
    const char *utime = skip_fields(f, end, 11);
    const char *stime = utime ? skip_fields(utime, end, 1) : NULL;
    const char *rss = stime ? skip_fields(stime, end, 9) : NULL;
    if (rss == NULL) continue;
    *checksum += pid + (unsigned long long)(close_paren - open - 1) + parse_ull(utime, end) + parse_ull(stime, end) +
                 parse_ull(rss, end);
    count++;
  }
  closedir(dir);
  return count;
}

int main(int argc, char **argv) {
  int iterations = argc > 1 ? atoi(argv[1]) : 20;
  const char *root = argc > 2 ? argv[2] : "/proc";
  if (iterations < 1) iterations = 1;
  int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) {
    perror(root);
    return 1;
  }
  unsigned long long checksum = 0;
  int processes = 0;
  unsigned long long *ns = calloc((size_t)iterations, sizeof *ns);
  if (ns == NULL) return 1;
  for (int i = 0; i < iterations; i++) {
    unsigned long long t0 = now_ns();
    processes = scan(root, rootfd, &checksum);
    ns[i] = now_ns() - t0;
  }
  printf("{\"processes\":%d,\"ns\":[", processes);
  for (int i = 0; i < iterations; i++) printf("%s%llu", i ? "," : "", ns[i]);
  printf("],\"checksum\":%llu}\n", checksum);
  free(ns);
  close(rootfd);
  return 0;
}
