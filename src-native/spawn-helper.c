// kestrel-spawn: starts the task processes of one Kestrel worker, on Linux, so that the worker
// never forks. libuv starts a process with fork then exec: the fork copies the parent's page
// tables and the parent's one thread waits until the child has exec'd, about 3 ms per task for a
// worker of 100+ MB, two thirds of its main thread under short tasks (docs/BENCHMARKS.md). Here
// posix_spawn clones a process of a few hundred KB without copying its memory (glibc uses
// CLONE_VM|CLONE_VFORK), in microseconds.
//
// A task that has a cgroup is started in it (clone3 with CLONE_INTO_CGROUP, Linux 5.7; the
// worker uses cgroups only from 5.14): moving a process in afterwards by a write of cgroup.procs
// waits for an RCU grace period, a millisecond or more per task. Such a child is a fork of this
// small process (no memory to speak of to copy), at the task's niceness before it execs, and the
// gate it waits on (confinement.ts) is opened at once.
//
// The worker speaks to it in frames on its stdin and it answers on its stdout; the frames are
// described once, in src-main/worker/spawn-frames.ts. It owns the children's pipes: it relays
// their output as it comes, their exit, and the worker's writes to their extra pipes. It sends no
// signal: the worker signals its tasks itself, by pid. It exits when its stdin ends (the worker
// ended), leaving the tasks as the worker would have left them.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/close_range.h>
#include <linux/sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

enum {
  MAX_EXTRA = 5,          // pipes after stdin, stdout, stderr: fd 3 .. 3 + MAX_EXTRA - 1
  READ_CHUNK = 65536,     // output relayed per read of a child's pipe
  MAX_FRAME = 16 << 20,   // a spawn request with its environment stays far below
  HEADER = 4,             // u32 little-endian length of what follows
};

struct child {
  uint32_t id;
  pid_t pid;
  int fds[3 + MAX_EXTRA]; // our end of the child's fd n, or -1; [0] (stdin: /dev/null) unused
  int nfds;
  int exited;
  int forgotten; // the worker let go of it: nothing more is said of it
  struct child *next;
};

static struct child *children;
static int wake[2]; // SIGCHLD writes a byte here: the loop reaps
static unsigned char *in;
static size_t in_len, in_cap;
static unsigned char *out;
static size_t out_len, out_cap;

static void die(const char *what) {
  fprintf(stderr, "kestrel-spawn: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void *grow(void *buf, size_t *cap, size_t need) {
  if (need <= *cap) return buf;
  size_t cap2 = *cap ? *cap : 4096;
  while (cap2 < need) cap2 *= 2;
  void *p = realloc(buf, cap2);
  if (p == NULL) die("out of memory");
  *cap = cap2;
  return p;
}

static void put32(unsigned char *p, uint32_t v) {
  p[0] = v & 0xff;
  p[1] = (v >> 8) & 0xff;
  p[2] = (v >> 16) & 0xff;
  p[3] = (v >> 24) & 0xff;
}

static uint32_t get32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

// One frame to the worker: type, the id, up to two u32 words, then bytes. Sent at the end of the
// loop's turn, all frames of a turn in one write.
static void frame(char type, uint32_t id, int words, uint32_t a, uint32_t b, const void *data,
                  size_t len) {
  size_t body = 1 + 4 + 4 * (size_t)words + len;
  out = grow(out, &out_cap, out_len + HEADER + body);
  unsigned char *p = out + out_len;
  put32(p, (uint32_t)body);
  p[4] = (unsigned char)type;
  put32(p + 5, id);
  if (words > 0) put32(p + 9, a);
  if (words > 1) put32(p + 13, b);
  if (len > 0) memcpy(p + 5 + 4 + 4 * words, data, len);
  out_len += HEADER + body;
}

static void flush(void) {
  size_t done = 0;
  while (done < out_len) {
    ssize_t n = write(STDOUT_FILENO, out + done, out_len - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) exit(0); // the worker is gone
    done += (size_t)n;
  }
  out_len = 0;
}

static void on_sigchld(int sig) {
  (void)sig;
  int saved = errno;
  ssize_t ignored = write(wake[1], "", 1);
  (void)ignored;
  errno = saved;
}

static struct child *find(uint32_t id) {
  for (struct child *c = children; c != NULL; c = c->next)
    if (c->id == id) return c;
  return NULL;
}

static int open_fds(const struct child *c) {
  int n = 0;
  for (int fd = 1; fd < c->nfds; fd++) n += c->fds[fd] >= 0;
  return n;
}

// The child's end of a pipe must not be one of the fd numbers the child gets (its dup2 onto
// itself would keep close-on-exec, and an earlier dup2 would overwrite it).
static int lift(int fd, int above) {
  if (fd > above) return fd;
  int moved = fcntl(fd, F_DUPFD_CLOEXEC, above + 1);
  if (moved < 0) die("fcntl");
  close(fd);
  return moved;
}

static void fail(uint32_t id, const char *what, int err) {
  char text[256];
  int len = snprintf(text, sizeof text, "%s: %s (%s)", what, strerror(err),
                     strerrorname_np(err) ? strerrorname_np(err) : "?");
  frame('F', id, 0, 0, 0, text, (size_t)len);
}

struct request {
  uint32_t id, extra;
  int nice;          // for the child before it execs; 0: as this process
  uint32_t gate_fd;  // an extra pipe written with `gate` right after the start; 0: none
  const char *file, *cwd, *cgroup, *gate; // cgroup "": none
  char **argv, **envp;
};

// What a child started into a cgroup does between clone3 and exec: only calls that are safe
// after a fork. An exec that fails says its errno on `report`.
static void become(const struct request *r, const int *theirs, int nfds, int report) {
  sigset_t none;
  sigemptyset(&none);
  for (int sig = 1; sig < NSIG; sig++) signal(sig, SIG_DFL);
  sigprocmask(SIG_SETMASK, &none, NULL);
  int err = 0;
  if (setsid() < 0) err = errno;
  int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (!err && (null < 0 || dup2(null, 0) < 0)) err = errno;
  for (int fd = 1; !err && fd < nfds; fd++)
    if (dup2(theirs[fd], fd) < 0) err = errno;
  // Nothing else of ours, nor what the worker inherited without close-on-exec, reaches the task
  // (closed at the exec, so that `report` still says a failed one; Linux 5.11).
  close_range((unsigned)nfds, ~0U, CLOSE_RANGE_CLOEXEC);
  if (!err && chdir(r->cwd) < 0) err = errno;
  if (!err && r->nice != 0 && setpriority(PRIO_PROCESS, 0, r->nice) < 0) err = errno;
  if (!err) {
    execve(r->file, r->argv, r->envp);
    err = errno;
  }
  ssize_t ignored = write(report, &err, sizeof err);
  (void)ignored;
  _exit(127);
}

// A fork into the cgroup: 0 and the pid, or an errno.
static int start_in_cgroup(const struct request *r, const int *theirs, int nfds, pid_t *pid) {
  int dir = open(r->cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return errno;
  int report[2];
  if (pipe2(report, O_CLOEXEC) < 0) {
    int err = errno;
    close(dir);
    return err;
  }
  report[1] = lift(report[1], nfds - 1); // not one of the fds the child is given
  struct clone_args args;
  memset(&args, 0, sizeof args);
  args.flags = CLONE_INTO_CGROUP;
  args.exit_signal = SIGCHLD;
  args.cgroup = (uint64_t)dir;
  long got = syscall(SYS_clone3, &args, sizeof args);
  if (got == 0) become(r, theirs, nfds, report[1]);
  int err = got < 0 ? errno : 0;
  close(dir);
  close(report[1]);
  if (got > 0) {
    // The exec closes the report pipe; a failure writes its errno first. Its end is reaped here
    // (the loop's reaping finds no child of this pid: it is not in the list yet).
    ssize_t n;
    int child_err = 0;
    while ((n = read(report[0], &child_err, sizeof child_err)) < 0 && errno == EINTR) {
    }
    if (n == (ssize_t)sizeof child_err) {
      while (waitpid((pid_t)got, NULL, 0) < 0 && errno == EINTR) {
      }
      err = child_err;
    }
    *pid = (pid_t)got;
  }
  close(report[0]);
  return err;
}

static int start_spawned(const struct request *r, const int *theirs, int nfds, pid_t *pid) {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  for (int fd = 1; fd < nfds; fd++) posix_spawn_file_actions_adddup2(&actions, theirs[fd], fd);
  // Nothing else of ours, nor what the worker inherited without close-on-exec, reaches the task.
  posix_spawn_file_actions_addclosefrom_np(&actions, nfds);
  posix_spawn_file_actions_addchdir_np(&actions, r->cwd);
  // A session of its own (Node's detached), every signal at its default and none blocked (as
  // libuv leaves a child: this process ignores SIGPIPE, which exec would pass on).
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  int err = posix_spawn(pid, r->file, &actions, &attr, r->argv, r->envp);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  return err;
}

static void start(const struct request *r) {
  int ours[3 + MAX_EXTRA], theirs[3 + MAX_EXTRA];
  int nfds = 3 + (int)r->extra;
  for (int fd = 1; fd < nfds; fd++) {
    int pair[2];
    // stdout and stderr are pipes; the extra ones go both ways (a gate is written by the worker,
    // bwrap's info and status are read), as Node's 'pipe' is.
    int made = fd < 3 ? pipe2(pair, O_CLOEXEC)
                      : socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair);
    if (made < 0) {
      fail(r->id, "pipe", errno);
      for (int k = 1; k < fd; k++) close(ours[k]), close(theirs[k]);
      return;
    }
    ours[fd] = pair[0];
    theirs[fd] = lift(pair[1], nfds - 1);
  }
  pid_t pid = 0;
  int err = r->cgroup[0] != '\0' ? start_in_cgroup(r, theirs, nfds, &pid)
                                 : start_spawned(r, theirs, nfds, &pid);
  for (int fd = 1; fd < nfds; fd++) close(theirs[fd]);
  if (err != 0) {
    for (int fd = 1; fd < nfds; fd++) close(ours[fd]);
    fail(r->id, r->file, err);
    return;
  }
  struct child *c = calloc(1, sizeof *c);
  if (c == NULL) die("out of memory");
  c->id = r->id;
  c->pid = pid;
  c->nfds = nfds;
  c->fds[0] = -1;
  for (int fd = 1; fd < nfds; fd++) {
    c->fds[fd] = ours[fd];
    fcntl(ours[fd], F_SETFL, fcntl(ours[fd], F_GETFL) | O_NONBLOCK);
  }
  c->next = children;
  children = c;
  frame('P', r->id, 1, (uint32_t)pid, 0, NULL, 0);
  if (r->gate_fd != 0) {
    ssize_t ignored = write(c->fds[r->gate_fd], r->gate, strlen(r->gate));
    (void)ignored;
    shutdown(c->fds[r->gate_fd], SHUT_WR);
  }
}

static void close_fd(struct child *c, int fd) {
  close(c->fds[fd]);
  c->fds[fd] = -1;
  if (!c->forgotten) frame('E', c->id, 1, (uint32_t)fd, 0, NULL, 0);
  if (c->exited && open_fds(c) == 0 && !c->forgotten) frame('C', c->id, 0, 0, 0, NULL, 0);
}

static void forget(struct child *c) {
  for (int fd = 1; fd < c->nfds; fd++)
    if (c->fds[fd] >= 0) close(c->fds[fd]), c->fds[fd] = -1;
  c->forgotten = 1;
}

static void reap(void) {
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    for (struct child *c = children; c != NULL; c = c->next) {
      if (c->pid != pid) continue;
      c->exited = 1;
      if (c->forgotten) break;
      int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
      frame('X', c->id, 2, (uint32_t)code, (uint32_t)sig, NULL, 0);
      if (open_fds(c) == 0) frame('C', c->id, 0, 0, 0, NULL, 0);
      break;
    }
  }
}

// Children that have exited and whose pipes are all closed, or that the worker let go of and
// that have exited, are done.
static void sweep(void) {
  for (struct child **p = &children; *p != NULL;) {
    struct child *c = *p;
    if (c->exited && (c->forgotten || open_fds(c) == 0)) {
      *p = c->next;
      free(c);
    } else {
      p = &c->next;
    }
  }
}

static void bad(const char *why) {
  fprintf(stderr, "kestrel-spawn: bad request from the worker: %s\n", why);
  exit(2);
}

// 'S' id extra argc envc nice gate_fd, then NUL-terminated: file, cwd, cgroup, gate, argc
// arguments, envc KEY=VALUE.
static void spawn_request(unsigned char *p, size_t len) {
  enum { FIELDS = 6 * 4, FIXED = 4 };
  if (len < FIELDS) bad("short spawn");
  struct request r;
  r.id = get32(p);
  r.extra = get32(p + 4);
  uint32_t argc = get32(p + 8), envc = get32(p + 12);
  r.nice = (int32_t)get32(p + 16);
  r.gate_fd = get32(p + 20);
  if (r.extra > MAX_EXTRA || argc < 1 || argc > len || envc > len) bad("spawn counts");
  if (r.gate_fd != 0 && (r.gate_fd < 3 || r.gate_fd >= 3 + r.extra)) bad("spawn gate");
  if (r.nice < -20 || r.nice > 19) bad("spawn niceness");
  char **strings = calloc((size_t)argc + envc + FIXED + 2, sizeof(char *));
  if (strings == NULL) die("out of memory");
  size_t want = FIXED + (size_t)argc + envc, have = 0, at = FIELDS;
  while (have < want) {
    unsigned char *end = at < len ? memchr(p + at, 0, len - at) : NULL;
    if (end == NULL) bad("spawn strings");
    strings[have++] = (char *)p + at;
    at = (size_t)(end - p) + 1;
  }
  if (at != len) bad("spawn length");
  r.file = strings[0];
  r.cwd = strings[1];
  r.cgroup = strings[2];
  r.gate = strings[3];
  r.argv = strings + FIXED;
  r.envp = r.argv + argc + 1; // a NULL (calloc) between the two arrays and after the last
  memmove(r.envp, r.argv + argc, envc * sizeof(char *));
  r.argv[argc] = NULL;
  r.envp[envc] = NULL;
  start(&r);
  free(strings);
}

static void request(unsigned char *p, size_t len) {
  char type = (char)p[0];
  p++, len--;
  if (type == 'S') return spawn_request(p, len);
  if (len < 4) bad("short frame");
  struct child *c = find(get32(p));
  if (type == 'W') {
    // 'W' id fd end, then the bytes: a few, for a gate; what the socket cannot take now is dropped.
    if (len < 9) bad("short write");
    uint32_t fd = get32(p + 4);
    if (c == NULL || c->forgotten || fd < 3 || fd >= (uint32_t)c->nfds || c->fds[fd] < 0) return;
    if (len > 9) {
      ssize_t ignored = write(c->fds[fd], p + 9, len - 9);
      (void)ignored;
    }
    if (p[8]) shutdown(c->fds[fd], SHUT_WR);
  } else if (type == 'K') {
    if (c != NULL) forget(c);
  } else {
    bad("unknown frame type");
  }
}

static void requests(void) {
  size_t at = 0;
  while (in_len - at >= HEADER) {
    uint32_t len = get32(in + at);
    if (len < 1 || len > MAX_FRAME) bad("frame length");
    if (in_len - at - HEADER < len) break;
    request(in + at + HEADER, len);
    at += HEADER + len;
  }
  memmove(in, in + at, in_len - at);
  in_len -= at;
}

int main(void) {
#ifdef PR_SET_PDEATHSIG
  // Gone with the worker even should its end of our stdin stay open somewhere; and gone already
  // if it died before this was set (the parent is another then; it may be pid 1 in a container).
  pid_t worker = getppid();
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != worker) return 0;
#endif
  signal(SIGPIPE, SIG_IGN);
  if (pipe2(wake, O_CLOEXEC | O_NONBLOCK) < 0) die("pipe");
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigchld;
  sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
  sigaction(SIGCHLD, &sa, NULL);
  static unsigned char chunk[READ_CHUNK];
  struct pollfd *polls = NULL;
  struct { struct child *c; int fd; } *owners = NULL;
  size_t polls_cap = 0, owners_cap = 0;
  for (;;) {
    flush();
    size_t n = 2;
    for (struct child *c = children; c != NULL; c = c->next) n += (size_t)open_fds(c);
    polls = grow(polls, &polls_cap, n * sizeof *polls);
    owners = grow(owners, &owners_cap, n * sizeof *owners);
    polls[0] = (struct pollfd){.fd = STDIN_FILENO, .events = POLLIN};
    polls[1] = (struct pollfd){.fd = wake[0], .events = POLLIN};
    size_t k = 2;
    for (struct child *c = children; c != NULL; c = c->next) {
      for (int fd = 1; fd < c->nfds; fd++) {
        if (c->fds[fd] < 0) continue;
        polls[k] = (struct pollfd){.fd = c->fds[fd], .events = POLLIN};
        owners[k].c = c;
        owners[k].fd = fd;
        k++;
      }
    }
    if (poll(polls, k, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    // Output first, then exits, then requests: nothing is freed until the sweep at the end.
    for (size_t i = 2; i < k; i++) {
      if (polls[i].revents == 0) continue;
      struct child *c = owners[i].c;
      int fd = owners[i].fd;
      if (c->fds[fd] < 0) continue;
      ssize_t got = read(c->fds[fd], chunk, sizeof chunk);
      if (got > 0) frame('D', c->id, 1, (uint32_t)fd, 0, chunk, (size_t)got);
      else if (got == 0 || (errno != EAGAIN && errno != EINTR)) close_fd(c, fd);
    }
    if (polls[1].revents != 0) {
      while (read(wake[0], chunk, sizeof chunk) > 0) {
      }
      reap();
    }
    if (polls[0].revents != 0) {
      in = grow(in, &in_cap, in_len + READ_CHUNK);
      ssize_t got = read(STDIN_FILENO, in + in_len, READ_CHUNK);
      if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN)) {
        flush();
        return 0; // the worker is gone
      }
      if (got > 0) {
        in_len += (size_t)got;
        requests();
      }
    }
    sweep();
  }
}
