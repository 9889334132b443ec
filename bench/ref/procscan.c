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
 * "kept" mode keeps each /proc/<pid>/stat open between scans and re-reads it
 * with pread at offset 0 (what the agent does); a descriptor whose process
 * is gone fails with ESRCH and is closed, and pids missing from a listing
 * have theirs closed at the end of the scan. The timed scans follow one
 * untimed scan that opens them, as the agent's follow its baseline.
 *
 * Usage: procscan [ITERATIONS [PROC_ROOT [MODE [PAUSE_MS]]]]
 * MODE is "kept" or "open" (the default). PAUSE_MS (default 0) idles that
 * long before each timed scan, so that every scan starts after idle time as
 * the agent's do (it scans when asked, every 2 s while a client watches):
 * back to back, a second scan finds the kernel's and the CPU's caches warm
 * and costs ~30 % less than the first.
 * Prints one JSON object: {"processes":N,"ns":[t1,t2,...],"checksum":C}
 * where ns[i] is the wall time of scan i in nanoseconds (CLOCK_MONOTONIC), and
 * "cpu_ns" the same scans' CPU time (CLOCK_PROCESS_CPUTIME_ID), which a busy
 * machine does not inflate the way it inflates wall time.
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

static unsigned long long clock_ns(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
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

/* Kept mode: fd_of[pid] (0 = none) and the scan that last listed the pid. */
static int kept_mode = 0;
static int *fd_of = NULL;
static unsigned *seen_in = NULL;
static int *kept_pids = NULL;
static size_t kept_count = 0, kept_cap = 0;
static long pid_max = 0;
static unsigned scan_no = 0;

static ssize_t read_stat(int rootfd, const char *name, long pid, char *buf, size_t size) {
  char path[NAME_MAX + 8]; /* "<d_name>/stat" */
  if (kept_mode && pid <= pid_max) {
    seen_in[pid] = scan_no;
    int listed = fd_of[pid] != 0; /* already in kept_pids */
    if (fd_of[pid] > 0) {
      ssize_t n = pread(fd_of[pid], buf, size, 0);
      if (n >= 0) return n;
      close(fd_of[pid]); /* ESRCH: gone, maybe a new process took the pid */
      fd_of[pid] = -1;  /* stays in kept_pids until close_unlisted() */
    }
    snprintf(path, sizeof path, "%s/stat", name);
    int fd = openat(rootfd, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = pread(fd, buf, size, 0);
    if (n < 0) { close(fd); return -1; }
    fd_of[pid] = fd;
    if (listed) return n;
    if (kept_count == kept_cap) {
      kept_cap = kept_cap ? kept_cap * 2 : 1024;
      kept_pids = realloc(kept_pids, kept_cap * sizeof *kept_pids);
      if (kept_pids == NULL) exit(1);
    }
    kept_pids[kept_count++] = (int)pid;
    return n;
  }
  snprintf(path, sizeof path, "%s/stat", name);
  int fd = openat(rootfd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1; /* exited meanwhile */
  ssize_t n = read(fd, buf, size);
  close(fd);
  return n;
}

/* Kept mode, end of a scan: close the descriptors of pids this scan did not list. */
static void close_unlisted(void) {
  size_t w = 0;
  for (size_t i = 0; i < kept_count; i++) {
    int pid = kept_pids[i];
    if (fd_of[pid] < 0 || seen_in[pid] != scan_no) {
      if (fd_of[pid] > 0) close(fd_of[pid]);
      fd_of[pid] = 0;
      continue;
    }
    kept_pids[w++] = pid;
  }
  kept_count = w;
}

/* One scan; returns the number of processes read, adds parsed fields to *checksum. */
static int scan(const char *root, int rootfd, unsigned long long *checksum) {
  DIR *dir = opendir(root);
  if (dir == NULL) return -1;
  char buf[1024];
  scan_no++;
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
    ssize_t n = read_stat(rootfd, name, atol(name), buf, sizeof buf - 1);
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
  if (kept_mode) close_unlisted();
  return count;
}

int main(int argc, char **argv) {
  int iterations = argc > 1 ? atoi(argv[1]) : 20;
  const char *root = argc > 2 ? argv[2] : "/proc";
  if (iterations < 1) iterations = 1;
  kept_mode = argc > 3 && strcmp(argv[3], "kept") == 0;
  long pause_ms = argc > 4 ? atol(argv[4]) : 0;
  struct timespec pause = {pause_ms / 1000, (pause_ms % 1000) * 1000000L};
  if (kept_mode) {
    FILE *f = fopen("/proc/sys/kernel/pid_max", "r");
    if (f == NULL || fscanf(f, "%ld", &pid_max) != 1) pid_max = 4194304;
    if (f) fclose(f);
    fd_of = calloc((size_t)pid_max + 1, sizeof *fd_of);
    seen_in = calloc((size_t)pid_max + 1, sizeof *seen_in);
    if (fd_of == NULL || seen_in == NULL) return 1;
  }
  int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) {
    perror(root);
    return 1;
  }
  unsigned long long checksum = 0;
  int processes = 0;
  unsigned long long *ns = calloc((size_t)iterations, sizeof *ns);
  unsigned long long *cpu = calloc((size_t)iterations, sizeof *cpu);
  if (ns == NULL || cpu == NULL) return 1;
  if (kept_mode) scan(root, rootfd, &checksum); /* opens the descriptors, untimed */
  for (int i = 0; i < iterations; i++) {
    if (pause_ms > 0) nanosleep(&pause, NULL);
    unsigned long long c0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
    unsigned long long t0 = clock_ns(CLOCK_MONOTONIC);
    processes = scan(root, rootfd, &checksum);
    ns[i] = clock_ns(CLOCK_MONOTONIC) - t0;
    cpu[i] = clock_ns(CLOCK_PROCESS_CPUTIME_ID) - c0;
  }
  printf("{\"processes\":%d,\"ns\":[", processes);
  for (int i = 0; i < iterations; i++) printf("%s%llu", i ? "," : "", ns[i]);
  printf("],\"cpu_ns\":[");
  for (int i = 0; i < iterations; i++) printf("%s%llu", i ? "," : "", cpu[i]);
  printf("],\"checksum\":%llu}\n", checksum);
  free(ns);
  free(cpu);
  close(rootfd);
  return 0;
}
