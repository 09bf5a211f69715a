/*
 * sandbox-perf agent: a pooled container's only process (issue 25), the C twin of the Node agent
 * (src/runners/pool/agentScript.ts), speaking the same protocol on the same channel.
 *
 *   sandbox-perf-agent USER TOKEN SOCKET LAUNCHER
 *
 * USER is `uid:gid`, the user every command runs as: never 0 and never this process's uid (exit 6
 * otherwise), so that the command cannot reach the agent through /proc/1/fd, /proc/1/mem, ptrace
 * or a signal. The container runs it as uid 0 with only CAP_SETUID, CAP_SETGID and CAP_KILL, and
 * it makes itself non-dumpable. SOCKET: `fd:3` (the stream the socket guard connected before its
 * filter went up), a Unix socket path to connect, or empty (standard input and output: gVisor's
 * attached stdio). LAUNCHER, when not empty, is the C timer bound into the container: the command
 * runs behind it, and its report line (descriptor 3 of the launcher) goes back raw in `usage`.
 *
 * Channel frames (agent to host): `type (1 byte) | length (uint32 BE) | payload`:
 *   R {"token","pid","ready"}  once the host's warm-up line (a lone "\n") has been read
 *   A <received>               the request line was read and parsed
 *   O / E <bytes>              the command's standard output / error, one pipe read per frame
 *   X {"received","exited","code","signal","timedOut","error","usage"}  then this process exits,
 *                              which ends every process left in the container (it is PID 1)
 * Host to agent: the warm-up line, then one request line, JSON {"argv","env","cwd","timeoutMs"}.
 *
 * Clock readings are CLOCK_MONOTONIC nanoseconds, taken as the spawner takes them: `received`
 * right before the fork, `exited` right after the command's reap.
 *
 * The request comes from the host, but it is parsed as if it did not: bounded (4 MiB), strict
 * JSON (a malformed line: exit 4), every field checked; a request of the wrong shape is answered
 * with an exit report carrying the error, as the Node agent's spawn() would throw.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_REQUEST (4 << 20)
#define MAX_USAGE 256
#define CHUNK 65536
#define MAX_DEPTH 64
#define DRAIN_GRACE_NS 100000000LL

static int in_fd = 0, out_fd = 1;

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ---- output: frames and JSON text ------------------------------------------------------------ */

struct text {
  char *data;
  size_t length, size;
};

static void put(struct text *t, const char *data, size_t length) {
  if (t->length + length + 1 > t->size) {
    size_t size = t->size ? t->size : 256;
    while (size < t->length + length + 1) size *= 2;
    char *grown = realloc(t->data, size);
    if (grown == NULL) _exit(5);
    t->data = grown;
    t->size = size;
  }
  memcpy(t->data + t->length, data, length);
  t->length += length;
  t->data[t->length] = '\0';
}

static void puts_text(struct text *t, const char *s) { put(t, s, strlen(s)); }

/* A JSON string; bytes >= 0x80 as \u00XX when `latin1` (the usage pipe, read as latin1 by the Node agent). */
static void put_json_string(struct text *t, const char *s, size_t length, int latin1) {
  char escape[8];
  put(t, "\"", 1);
  for (size_t i = 0; i < length; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') {
      escape[0] = '\\';
      escape[1] = (char)c;
      put(t, escape, 2);
    } else if (c < 0x20 || (latin1 && c >= 0x7f)) {
      snprintf(escape, sizeof escape, "\\u%04x", c);
      put(t, escape, 6);
    } else {
      put(t, (const char *)&s[i], 1);
    }
  }
  put(t, "\"", 1);
}

/* Writes all of it, whatever the channel is; the host gone: exit 5, as the Node agent's channel error. */
static void write_all(const char *data, size_t length) {
  while (length > 0) {
    ssize_t n = write(out_fd, data, length);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) _exit(5);
    data += n;
    length -= (size_t)n;
  }
}

static void send_frame(char type, const char *payload, size_t length) {
  char head[5] = {type, (char)(length >> 24), (char)(length >> 16), (char)(length >> 8), (char)length};
  struct iovec parts[2] = {{head, 5}, {(void *)payload, length}};
  ssize_t n;
  while ((n = writev(out_fd, parts, 2)) < 0 && errno == EINTR) continue;
  if (n <= 0) _exit(5);
  /* A short write: the rest, plainly. */
  size_t done = (size_t)n;
  if (done < 5) {
    write_all(head + done, 5 - done);
    done = 5;
  }
  write_all(payload + (done - 5), length - (done - 5));
}

/* ---- input: a strict JSON reader for the one request ------------------------------------------ */

struct parser {
  const char *at, *end;
  int depth;
  /* The member's key held a NUL byte (not the key its C string spells). */
  int key_nul;
};

static void skip_space(struct parser *p) {
  while (p->at < p->end && (*p->at == ' ' || *p->at == '\t' || *p->at == '\n' || *p->at == '\r')) p->at++;
}

static int hex4(const char *s, unsigned *value) {
  *value = 0;
  for (int i = 0; i < 4; i++) {
    char c = s[i];
    int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (digit < 0) return -1;
    *value = *value * 16 + (unsigned)digit;
  }
  return 0;
}

static void put_utf8(struct text *t, unsigned cp) {
  char b[4];
  if (cp < 0x80) {
    b[0] = (char)cp;
    put(t, b, 1);
  } else if (cp < 0x800) {
    b[0] = (char)(0xc0 | (cp >> 6));
    b[1] = (char)(0x80 | (cp & 0x3f));
    put(t, b, 2);
  } else if (cp < 0x10000) {
    b[0] = (char)(0xe0 | (cp >> 12));
    b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
    b[2] = (char)(0x80 | (cp & 0x3f));
    put(t, b, 3);
  } else {
    b[0] = (char)(0xf0 | (cp >> 18));
    b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    b[3] = (char)(0x80 | (cp & 0x3f));
    put(t, b, 4);
  }
}

/*
 * A JSON string into `out` (UTF-8, as Node hands a string to spawn: a lone surrogate becomes
 * U+FFFD); `out` may be NULL to skip it. Returns -1 on malformed input.
 */
static int parse_string(struct parser *p, struct text *out) {
  if (p->at >= p->end || *p->at != '"') return -1;
  p->at++;
  struct text scratch = {0};
  struct text *t = out ? out : &scratch;
  while (p->at < p->end && *p->at != '"') {
    unsigned char c = (unsigned char)*p->at;
    if (c < 0x20) return free(scratch.data), -1;
    if (c != '\\') {
      const char *run = p->at;
      while (p->at < p->end && *p->at != '"' && *p->at != '\\' && (unsigned char)*p->at >= 0x20) p->at++;
      put(t, run, (size_t)(p->at - run));
      continue;
    }
    if (p->end - p->at < 2) return free(scratch.data), -1;
    char e = p->at[1];
    p->at += 2;
    const char *simple = strchr("\"\\/bfnrt", e);
    if (e != '\0' && simple != NULL) {
      static const char decoded[] = "\"\\/\b\f\n\r\t";
      put(t, &decoded[simple - "\"\\/bfnrt"], 1);
      continue;
    }
    unsigned cp, low;
    if (e != 'u' || p->end - p->at < 4 || hex4(p->at, &cp) != 0) return free(scratch.data), -1;
    p->at += 4;
    if (cp >= 0xd800 && cp <= 0xdbff && p->end - p->at >= 6 && p->at[0] == '\\' && p->at[1] == 'u' && hex4(p->at + 2, &low) == 0 &&
        low >= 0xdc00 && low <= 0xdfff) {
      p->at += 6;
      cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
    } else if (cp >= 0xd800 && cp <= 0xdfff) {
      cp = 0xfffd;
    }
    put_utf8(t, cp);
  }
  free(scratch.data);
  if (p->at >= p->end) return -1;
  p->at++;
  if (out && out->data == NULL) put(out, "", 0);
  return 0;
}

/* A JSON number; its value in `value` when not NULL. */
static int parse_number(struct parser *p, double *value) {
  const char *start = p->at;
  if (p->at < p->end && *p->at == '-') p->at++;
  if (p->at >= p->end || *p->at < '0' || *p->at > '9') return -1;
  if (*p->at == '0') p->at++;
  else
    while (p->at < p->end && *p->at >= '0' && *p->at <= '9') p->at++;
  if (p->at < p->end && *p->at == '.') {
    p->at++;
    if (p->at >= p->end || *p->at < '0' || *p->at > '9') return -1;
    while (p->at < p->end && *p->at >= '0' && *p->at <= '9') p->at++;
  }
  if (p->at < p->end && (*p->at == 'e' || *p->at == 'E')) {
    p->at++;
    if (p->at < p->end && (*p->at == '+' || *p->at == '-')) p->at++;
    if (p->at >= p->end || *p->at < '0' || *p->at > '9') return -1;
    while (p->at < p->end && *p->at >= '0' && *p->at <= '9') p->at++;
  }
  if (value) {
    char copy[64];
    size_t length = (size_t)(p->at - start);
    if (length >= sizeof copy) *value = start[0] == '-' ? -1e300 : 1e300;
    else {
      memcpy(copy, start, length);
      copy[length] = '\0';
      *value = strtod(copy, NULL);
    }
  }
  return 0;
}

static int skip_value(struct parser *p);

static int skip_literal(struct parser *p, const char *word) {
  size_t length = strlen(word);
  if ((size_t)(p->end - p->at) < length || memcmp(p->at, word, length) != 0) return -1;
  p->at += length;
  return 0;
}

/* Walks a compound value: `each` is called per element (key NULL) or member (key set). */
static int walk(struct parser *p, char open, int (*each)(struct parser *, const char *key, void *), void *context) {
  char close = open == '[' ? ']' : '}';
  if (p->at >= p->end || *p->at != open || ++p->depth > MAX_DEPTH) return -1;
  p->at++;
  skip_space(p);
  if (p->at < p->end && *p->at == close) {
    p->at++;
    p->depth--;
    return 0;
  }
  for (;;) {
    struct text key = {0};
    skip_space(p);
    if (open == '{') {
      if (parse_string(p, &key) != 0) return free(key.data), -1;
      p->key_nul = strlen(key.data) != key.length;
      skip_space(p);
      if (p->at >= p->end || *p->at != ':') return free(key.data), -1;
      p->at++;
      skip_space(p);
    }
    int failed = each(p, open == '{' ? key.data : NULL, context);
    free(key.data);
    if (failed) return -1;
    skip_space(p);
    if (p->at < p->end && *p->at == ',') {
      p->at++;
      continue;
    }
    if (p->at < p->end && *p->at == close) {
      p->at++;
      p->depth--;
      return 0;
    }
    return -1;
  }
}

static int skip_each(struct parser *p, const char *key, void *context) {
  (void)key;
  (void)context;
  return skip_value(p);
}

static int skip_value(struct parser *p) {
  skip_space(p);
  if (p->at >= p->end) return -1;
  switch (*p->at) {
  case '"': return parse_string(p, NULL);
  case '[': return walk(p, '[', skip_each, NULL);
  case '{': return walk(p, '{', skip_each, NULL);
  case 't': return skip_literal(p, "true");
  case 'f': return skip_literal(p, "false");
  case 'n': return skip_literal(p, "null");
  default: return parse_number(p, NULL);
  }
}

/* ---- the request ------------------------------------------------------------------------------ */

struct list {
  char **items;
  size_t count, size;
};

static void push(struct list *l, char *item) {
  if (l->count + 2 > l->size) {
    l->size = l->size ? l->size * 2 : 16;
    l->items = realloc(l->items, l->size * sizeof *l->items);
    if (l->items == NULL) _exit(5);
  }
  l->items[l->count++] = item;
  l->items[l->count] = NULL;
}

struct request {
  struct list argv, env;
  char *cwd;
  double timeout_ms;
  int has_argv, has_env, has_timeout;
  /* The first reason the request cannot run (a valid JSON of the wrong shape), or NULL. */
  const char *invalid;
};

static void invalid(struct request *r, const char *why) {
  if (r->invalid == NULL) r->invalid = why;
}

/* A string value kept as a C string; one holding a NUL byte is refused, as Node's spawn refuses it. */
static int take_string(struct parser *p, struct request *r, const char *what, char **into) {
  struct text t = {0};
  if (parse_string(p, &t) != 0) return free(t.data), -1;
  if (strlen(t.data) != t.length) {
    invalid(r, what);
    free(t.data);
    *into = NULL;
    return 0;
  }
  *into = t.data;
  return 0;
}

static int argv_each(struct parser *p, const char *key, void *context) {
  (void)key;
  struct request *r = context;
  char *item = NULL;
  if (p->at < p->end && *p->at != '"') {
    invalid(r, "the request's argv holds something other than a string");
    return skip_value(p);
  }
  if (take_string(p, r, "the request's argv holds a NUL byte", &item) != 0) return -1;
  if (item) push(&r->argv, item);
  return 0;
}

static int env_each(struct parser *p, const char *key, void *context) {
  struct request *r = context;
  char *value = NULL;
  if (p->key_nul) invalid(r, "the request's env holds a NUL byte");
  if (p->at < p->end && *p->at != '"') {
    invalid(r, "the request's env holds something other than a string");
    return skip_value(p);
  }
  if (take_string(p, r, "the request's env holds a NUL byte", &value) != 0) return -1;
  if (value == NULL) return 0;
  struct text entry = {0};
  puts_text(&entry, key);
  put(&entry, "=", 1);
  puts_text(&entry, value);
  free(value);
  push(&r->env, entry.data);
  return 0;
}

static int request_each(struct parser *p, const char *key, void *context) {
  struct request *r = context;
  skip_space(p);
  char next = p->at < p->end ? *p->at : '\0';
  if (p->key_nul) return skip_value(p);
  if (strcmp(key, "argv") == 0 && next == '[') {
    r->argv.count = 0;
    r->has_argv = 1;
    return walk(p, '[', argv_each, r);
  }
  if (strcmp(key, "env") == 0 && next == '{') {
    r->env.count = 0;
    r->has_env = 1;
    return walk(p, '{', env_each, r);
  }
  if (strcmp(key, "cwd") == 0 && next == '"') {
    free(r->cwd);
    return take_string(p, r, "the request's cwd holds a NUL byte", &r->cwd);
  }
  if (strcmp(key, "timeoutMs") == 0 && (next == '-' || (next >= '0' && next <= '9'))) {
    r->has_timeout = 1;
    return parse_number(p, &r->timeout_ms);
  }
  if (strcmp(key, "argv") == 0) invalid(r, "the request's argv is not an array");
  if (strcmp(key, "env") == 0) invalid(r, "the request's env is not an object");
  if (strcmp(key, "cwd") == 0) invalid(r, "the request's cwd is not a string");
  if (strcmp(key, "timeoutMs") == 0) invalid(r, "the request's timeoutMs is not a number");
  return skip_value(p);
}

/* -1: not JSON (or not one object alone on the line). */
static int parse_request(const char *line, size_t length, struct request *r) {
  struct parser p = {line, line + length, 0, 0};
  skip_space(&p);
  if (walk(&p, '{', request_each, r) != 0) return -1;
  skip_space(&p);
  if (p.at != p.end) return -1;
  if (!r->has_argv || r->argv.count == 0) invalid(r, "the request has no argv");
  /* Both lists end with NULL, an empty one too (execve's environment). */
  if (r->env.items == NULL) {
    push(&r->env, NULL);
    r->env.count = 0;
  }
  if (!r->has_env) invalid(r, "the request has no env");
  if (r->cwd == NULL) invalid(r, "the request has no cwd");
  if (!r->has_timeout || !(r->timeout_ms >= 0) || r->timeout_ms > 2147483647.0) invalid(r, "the request's timeoutMs is not 0..2147483647");
  return 0;
}

/* ---- the run ---------------------------------------------------------------------------------- */

static const char *signal_name(int sig) {
  static const char *names[] = {NULL,      "SIGHUP",  "SIGINT",    "SIGQUIT", "SIGILL",    "SIGTRAP", "SIGABRT", "SIGBUS",
                                 "SIGFPE",  "SIGKILL", "SIGUSR1",   "SIGSEGV", "SIGUSR2",   "SIGPIPE", "SIGALRM", "SIGTERM",
                                 "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP",   "SIGTTIN", "SIGTTOU", "SIGURG",
                                 "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH",  "SIGIO",   "SIGPWR",  "SIGSYS"};
  return sig > 0 && sig < (int)(sizeof names / sizeof *names) ? names[sig] : NULL;
}

/* libuv's error names, as Node's spawn error says them ("spawn FILE ENOENT"). */
static const char *errno_name(int error, char *buffer, size_t size) {
  static const struct {
    int number;
    const char *name;
  } names[] = {{ENOENT, "ENOENT"}, {EACCES, "EACCES"}, {E2BIG, "E2BIG"},   {ENOEXEC, "ENOEXEC"}, {ENOTDIR, "ENOTDIR"},
               {ENOMEM, "ENOMEM"}, {EPERM, "EPERM"},   {ELOOP, "ELOOP"},   {ENAMETOOLONG, "ENAMETOOLONG"},
               {ETXTBSY, "ETXTBSY"}, {EAGAIN, "EAGAIN"}, {EINVAL, "EINVAL"}, {EMFILE, "EMFILE"},   {EISDIR, "EISDIR"}};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++)
    if (names[i].number == error) return names[i].name;
  snprintf(buffer, size, "errno %d", error);
  return buffer;
}

/* execvpe with the command's own PATH (libuv's lookup since 1.45: the child's environment decides). */
static void exec_in_path(const char *file, char **argv, char **env) {
  if (strchr(file, '/') != NULL) {
    execve(file, argv, env);
    return;
  }
  const char *path = "/usr/bin:/bin";
  for (char **e = env; *e != NULL; e++)
    if (strncmp(*e, "PATH=", 5) == 0) path = *e + 5;
  int saved = ENOENT;
  size_t file_length = strlen(file);
  for (const char *dir = path;; dir++) {
    const char *stop = strchrnul(dir, ':');
    size_t length = (size_t)(stop - dir);
    char full[4096];
    if (length + file_length + 2 <= sizeof full) {
      memcpy(full, dir, length);
      full[length] = '\0';
      if (length > 0) strcat(full, "/");
      strcat(full, file);
      execve(full, argv, env);
      if (errno == EACCES) saved = EACCES;
      else if (errno != ENOENT && errno != ENOTDIR) saved = errno;
    }
    if (*stop == '\0') break;
    dir = stop;
  }
  errno = saved;
}

/*
 * The command's process, between fork and exec: a session and process group of its own (Node's
 * `detached`), default signal dispositions and an empty mask (libuv's child init), /dev/null, the
 * output pipes and the launcher's pipe as descriptors 0 to 3 and nothing else, the user's ids
 * (supplementary groups dropped), the working directory when it is not this process's (entered as
 * the user: as the command would enter it), then exec. A failure goes back as an errno on `status`.
 */
static void child(struct request *r, const char *cwd_here, uid_t uid, gid_t gid, int out, int err, int rep, int status,
                  const char *launcher) {
  setsid();
  struct sigaction dfl = {.sa_handler = SIG_DFL};
  for (int sig = 1; sig < _NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &dfl, NULL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int error = 0;
  if (null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) error = errno;
  if (error == 0 && rep >= 0) {
    if (rep == 3 ? fcntl(3, F_SETFD, 0) < 0 : dup2(rep, 3) < 0) error = errno;
  }
  /* Every other descriptor is close-on-exec already; this also covers any a container runtime left. */
  if (error == 0) syscall(SYS_close_range, rep >= 0 ? 4 : 3, ~0U, 4 /* CLOSE_RANGE_CLOEXEC */);
  if (error == 0) setgroups(0, NULL);
  if (error == 0 && (setgid(gid) != 0 || setuid(uid) != 0)) error = errno;
  if (error == 0 && strcmp(r->cwd, cwd_here) != 0 && chdir(r->cwd) != 0) error = errno;
  if (error == 0) {
    if (launcher != NULL) {
      struct list argv = {0};
      push(&argv, (char *)launcher);
      push(&argv, "3");
      for (size_t i = 0; i < r->argv.count; i++) push(&argv, r->argv.items[i]);
      execve(launcher, argv.items, r->env.items);
    } else {
      exec_in_path(r->argv.items[0], r->argv.items, r->env.items);
    }
    error = errno;
  }
  while (write(status, &error, sizeof error) < 0 && errno == EINTR) continue;
  _exit(127);
}

struct report {
  long long received, exited;
  int exited_normally, code, signal, timed_out;
  char error[1100];
  char usage[MAX_USAGE];
  int usage_length, has_usage;
};

static void send_report(const struct report *report) {
  struct text t = {0};
  char number[64];
  snprintf(number, sizeof number, "{\"received\":\"%lld\",\"exited\":\"%lld\",\"code\":", report->received, report->exited);
  puts_text(&t, number);
  if (report->exited_normally) snprintf(number, sizeof number, "%d", report->code);
  puts_text(&t, report->exited_normally ? number : "null");
  puts_text(&t, ",\"signal\":");
  const char *name = report->exited_normally ? NULL : signal_name(report->signal);
  if (name) put_json_string(&t, name, strlen(name), 0);
  else puts_text(&t, "null");
  puts_text(&t, report->timed_out ? ",\"timedOut\":true,\"error\":" : ",\"timedOut\":false,\"error\":");
  if (report->error[0] != '\0') put_json_string(&t, report->error, strlen(report->error), 0);
  else puts_text(&t, "null");
  puts_text(&t, ",\"usage\":");
  if (report->has_usage) put_json_string(&t, report->usage, (size_t)report->usage_length, 1);
  else puts_text(&t, "null");
  puts_text(&t, "}");
  send_frame('X', t.data, t.length);
  free(t.data);
}

/* Runs the request and reports how it ended; never returns. */
static void run(struct request *r, uid_t uid, gid_t gid, const char *launcher, int chld) {
  struct report report = {0};
  char cwd_here[4096];
  if (getcwd(cwd_here, sizeof cwd_here) == NULL) cwd_here[0] = '\0';
  int out[2], err[2], rep[2] = {-1, -1}, status[2];
  report.received = now_ns();
  if (r->invalid != NULL) {
    char received[32];
    send_frame('A', received, (size_t)snprintf(received, sizeof received, "%lld", report.received));
    report.exited = now_ns();
    snprintf(report.error, sizeof report.error, "%s", r->invalid);
    send_report(&report);
    _exit(0);
  }
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0 || (launcher && pipe2(rep, O_CLOEXEC) != 0) ||
      pipe2(status, O_CLOEXEC) != 0)
    _exit(5);
  const char *file = launcher ? launcher : r->argv.items[0];
  report.received = now_ns();
  pid_t pid = fork();
  if (pid == 0) child(r, cwd_here, uid, gid, out[1], err[1], rep[1], status[1], launcher);
  char received[32];
  send_frame('A', received, (size_t)snprintf(received, sizeof received, "%lld", report.received));
  close(out[1]);
  close(err[1]);
  if (rep[1] >= 0) close(rep[1]);
  close(status[1]);
  int spawn_error = 0;
  if (pid < 0) spawn_error = errno;
  else {
    ssize_t n;
    while ((n = read(status[0], &spawn_error, sizeof spawn_error)) < 0 && errno == EINTR) continue;
    if (n != (ssize_t)sizeof spawn_error) spawn_error = 0;
  }
  close(status[0]);
  if (spawn_error != 0) {
    int ignored;
    if (pid > 0)
      while (waitpid(pid, &ignored, 0) < 0 && errno == EINTR) continue;
    report.exited = now_ns();
    char buffer[32];
    snprintf(report.error, sizeof report.error, "spawn %.1000s %s", file, errno_name(spawn_error, buffer, sizeof buffer));
    send_report(&report);
    _exit(0);
  }
  report.has_usage = launcher != NULL;
  long long deadline = report.received + (long long)(r->timeout_ms * 1e6);
  long long drain_deadline = 0;
  int exited = 0;
  int fds[3] = {out[0], err[0], rep[0]};
  static char chunk[CHUNK];
  for (;;) {
    struct pollfd polls[5];
    int count = 0, open_pipes = 0;
    for (int i = 0; i < 3; i++)
      if (fds[i] >= 0) {
        polls[count++] = (struct pollfd){fds[i], POLLIN, 0};
        open_pipes++;
      }
    /* Output still in the pipes arrives before their close; a background process holding them
     * open does not hold the report back for longer than the grace after the exit. */
    if (exited && (open_pipes == 0 || now_ns() >= drain_deadline)) break;
    /*
     * The runner's end of the channel gone (it was SIGKILLed), and the run with it: a socket's
     * peer closed both ways (POLLHUP; a half-close after the request is no sign), or a pipe's
     * reader gone (POLLERR on the output pipe; the input pipe's end is no sign either).
     * Before, the command ran on to its end or its timeout, writing to the working directory after
     * its runner had died (runc-pool, hostile trial 2026-12-07).
     */
    int hangup_slot = count;
    polls[count++] = (struct pollfd){out_fd, 0, 0};
    polls[count++] = (struct pollfd){chld, POLLIN, 0};
    long long wake = exited ? drain_deadline : report.timed_out ? -1 : deadline;
    int timeout = wake < 0 ? -1 : (int)((wake - now_ns() + 999999) / 1000000);
    if (wake >= 0 && timeout < 0) timeout = 0;
    if (poll(polls, (nfds_t)count, timeout) < 0 && errno != EINTR) _exit(5);
    if (!exited && !report.timed_out && now_ns() >= deadline) {
      report.timed_out = 1;
      kill(-pid, SIGKILL);
    }
    if (polls[hangup_slot].revents & (in_fd == out_fd ? (POLLHUP | POLLERR) : POLLERR)) {
      if (getpid() == 1) kill(-1, SIGKILL);
      else if (pid > 0) kill(-pid, SIGKILL);
      _exit(5);
    }
    for (int i = 0; i < hangup_slot; i++) {
      if (polls[i].revents == 0) continue;
      int which = polls[i].fd == fds[0] ? 0 : polls[i].fd == fds[1] ? 1 : 2;
      ssize_t n = read(polls[i].fd, chunk, sizeof chunk);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) {
        close(fds[which]);
        fds[which] = -1;
      } else if (which < 2) {
        send_frame(which == 0 ? 'O' : 'E', chunk, (size_t)n);
      } else {
        int keep = MAX_USAGE - report.usage_length;
        if (keep > n) keep = (int)n;
        memcpy(report.usage + report.usage_length, chunk, (size_t)keep);
        report.usage_length += keep;
      }
    }
    if (polls[count - 1].revents != 0) {
      struct signalfd_siginfo info;
      while (read(chld, &info, sizeof info) > 0) continue;
    }
    /* PID 1 reaps every orphan; the command's own status is the one reported. */
    int wait_status;
    pid_t reaped;
    while (!exited && (reaped = waitpid(-1, &wait_status, WNOHANG)) > 0) {
      if (reaped != pid) continue;
      report.exited = now_ns();
      exited = 1;
      drain_deadline = report.exited + DRAIN_GRACE_NS;
      report.exited_normally = WIFEXITED(wait_status);
      report.code = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 0;
      report.signal = WIFSIGNALED(wait_status) ? WTERMSIG(wait_status) : 0;
    }
  }
  kill(-pid, SIGKILL);
  send_report(&report);
  _exit(0);
}

/* ---- the agent -------------------------------------------------------------------------------- */

static int parse_id(const char *s, const char *end, unsigned long *value) {
  if (end - s < 1 || end - s > 10) return -1;
  *value = 0;
  for (; s < end; s++) {
    if (*s < '0' || *s > '9') return -1;
    *value = *value * 10 + (unsigned long)(*s - '0');
  }
  return *value > 0xffffffffUL ? -1 : 0;
}

/* Reads more of the channel into `buffer`; 0 at its end. */
static ssize_t read_more(char *buffer, size_t room) {
  ssize_t n;
  while ((n = read(in_fd, buffer, room)) < 0 && errno == EINTR) continue;
  if (n < 0) _exit(5);
  return n;
}

int main(int argc, char **argv) {
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  signal(SIGPIPE, SIG_IGN);
  const char *user = argc > 1 ? argv[1] : "";
  const char *colon = strchr(user, ':');
  unsigned long uid, gid;
  /* The command as the agent's own uid could reopen the report channel: refused (exit 6). */
  if (colon == NULL || parse_id(user, colon, &uid) != 0 || parse_id(colon + 1, colon + strlen(colon), &gid) != 0 || uid == 0 ||
      gid == 0 || uid == (unsigned long)getuid())
    return 6;
  const char *token = argc > 2 ? argv[2] : "";
  const char *socket_path = argc > 3 ? argv[3] : "";
  const char *launcher = argc > 4 && argv[4][0] != '\0' ? argv[4] : NULL;
  /* Descriptors 0 to 2 exist, so that no pipe of a run lands on one. */
  for (int fd = 0; fd < 3; fd++)
    if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd) return 5;
  if (strcmp(socket_path, "fd:3") == 0) {
    in_fd = out_fd = 3;
  } else if (socket_path[0] != '\0') {
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    if (strlen(socket_path) >= sizeof address.sun_path) return 5;
    strcpy(address.sun_path, socket_path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof address) != 0) return 5;
    in_fd = out_fd = fd;
  }
  /* The channel blocks (a slow host slows the output down, as the pipes slow the command down) and
   * no command inherits it. */
  for (int fd = 0; fd < 2; fd++) {
    int which = fd == 0 ? in_fd : out_fd;
    if (fcntl(which, F_SETFD, FD_CLOEXEC) != 0 || fcntl(which, F_SETFL, fcntl(which, F_GETFL) & ~O_NONBLOCK) != 0) return 5;
  }
  /* The command's end (and any orphan's) as a descriptor the run's poll can wait on. */
  sigset_t chld_set;
  sigemptyset(&chld_set);
  sigaddset(&chld_set, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld_set, NULL);
  int chld = signalfd(-1, &chld_set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (chld < 0) return 5;

  char *line = malloc(MAX_REQUEST + 1);
  if (line == NULL) return 5;
  size_t size = 0;
  /* The host's warm-up line first: a lone "\n", then the ready frame. */
  while (size == 0) {
    ssize_t n = read_more(line, MAX_REQUEST);
    if (n == 0) return 0;
    size = (size_t)n;
  }
  if (line[0] != '\n') return 4;
  memmove(line, line + 1, --size);
  struct text ready = {0};
  char number[64];
  puts_text(&ready, "{\"token\":");
  put_json_string(&ready, token, strlen(token), 0);
  snprintf(number, sizeof number, ",\"pid\":%d,\"ready\":\"%lld\"}", (int)getpid(), now_ns());
  puts_text(&ready, number);
  send_frame('R', ready.data, ready.length);
  free(ready.data);
  /* One request line; what follows it is never read. */
  char *newline;
  while ((newline = memchr(line, '\n', size)) == NULL) {
    if (size >= MAX_REQUEST) return 3;
    ssize_t n = read_more(line + size, MAX_REQUEST - size);
    if (n == 0) return 0;
    size += (size_t)n;
  }
  struct request request = {0};
  if (parse_request(line, (size_t)(newline - line), &request) != 0) return 4;
  run(&request, (uid_t)uid, (gid_t)gid, launcher, chld);
}
