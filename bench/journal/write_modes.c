// The replay journal's synchronous writes, one mode at a time: N writes of SIZE bytes, each after the previous one,
// into a new file in DIR; prints the process's CPU time (user + system, getrusage) and the wall time per write.
//   sync-append    O_SYNC, each write appended (the file grows with every write): the journal until round 10
//   dsync-append   O_DSYNC, appended
//   dsync-zeroed   O_DSYNC into zeros written (and synced) ahead, as the journal writes since round 10
//   dsync-falloc   O_DSYNC into blocks reserved with fallocate(2) but never written (unwritten extents)
// usage: write_modes MODE N SIZE DIR
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static double cpu_seconds(void) {
  struct rusage r;
  getrusage(RUSAGE_SELF, &r);
  return r.ru_utime.tv_sec + r.ru_stime.tv_sec + (r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
}

// CPU time of the whole machine so far (user, nice, system, irq, softirq in /proc/stat): what the kernel's own threads
// (the file system's journal, a loop device's worker) do for these writes is not charged to this process.
static double machine_cpu_seconds(void) {
  FILE *f = fopen("/proc/stat", "r");
  if (!f) return 0;
  unsigned long long user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0;
  if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu", &user, &nice, &system, &idle, &iowait, &irq, &softirq) != 7) user = nice = system = irq = softirq = 0;
  fclose(f);
  return (double)(user + nice + system + irq + softirq) / sysconf(_SC_CLK_TCK);
}

static double wall_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: write_modes sync-append|dsync-append|dsync-zeroed|dsync-falloc N SIZE DIR\n");
    return 2;
  }
  const char *mode = argv[1];
  long n = atol(argv[2]), size = atol(argv[3]);
  if (n <= 0 || size <= 0 || size > 65536) {
    fprintf(stderr, "write_modes: N > 0 and 0 < SIZE <= 65536\n");
    return 2;
  }
  char path[4096];
  snprintf(path, sizeof path, "%s/write-modes.bin", argv[4]);
  unlink(path);
  int flags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC;
  if (!strcmp(mode, "sync-append")) flags |= O_SYNC;
  else if (!strcmp(mode, "dsync-append") || !strcmp(mode, "dsync-zeroed") || !strcmp(mode, "dsync-falloc")) flags |= O_DSYNC;
  else { fprintf(stderr, "write_modes: unknown mode %s\n", mode); return 2; }
  int fd = open(path, flags, 0600);
  if (fd < 0) { perror(path); return 1; }
  long ahead = n * size + 4096;
  if (!strcmp(mode, "dsync-zeroed")) {
    static char zeros[1 << 20];
    for (long at = 0; at < ahead; at += sizeof zeros)
      if (pwrite(fd, zeros, sizeof zeros, at) != (ssize_t)sizeof zeros) { perror("pwrite zeros"); return 1; }
  } else if (!strcmp(mode, "dsync-falloc")) {
    if (fallocate(fd, 0, 0, ahead) != 0) { perror("fallocate"); return 1; }
    fsync(fd);
  }
  static char batch[65536];
  memset(batch, 0x5a, sizeof batch);
  double cpu0 = cpu_seconds(), machine0 = machine_cpu_seconds(), wall0 = wall_seconds();
  for (long i = 0; i < n; i++)
    if (pwrite(fd, batch, size, i * size) != size) { perror("pwrite"); return 1; }
  double cpu1 = cpu_seconds(), machine1 = machine_cpu_seconds(), wall1 = wall_seconds();
  printf("mode=%s writes=%ld size=%ld cpu_us_per_write=%.1f machine_cpu_us_per_write=%.1f wall_us_per_write=%.1f\n", mode, n, size, (cpu1 - cpu0) * 1e6 / n,
         (machine1 - machine0) * 1e6 / n, (wall1 - wall0) * 1e6 / n);
  close(fd);
  unlink(path);
  return 0;
}
