/* sa-sendmail — a sendmail-compatible program for development and tests,
 * built as build/sa-sendmail by make.
 *
 * Usage: sa-sendmail --maildir DIR [sendmail options] [--] recipient...
 *        (or SA_MAILDIR=DIR in the environment instead of --maildir; the
 *        option must come first.  Use an absolute DIR: httpd runs us from /.)
 *
 * Reads one message (RFC 5322, as the caller built it) on standard input and
 * stores it unchanged as DIR/NAME.eml, NAME = YYYYmmddHHMMSS.nanoseconds-PID
 * (local time; no two processes have the same PID at once), so names sort by
 * time and never collide.  The file is written as DIR/.tmp-NAME and renamed,
 * so a reader never sees half a message.  DIR is created if missing.
 *
 * The usual sendmail options are accepted and ignored: -i, -oi, -t, -bm, -v,
 * -f ADDR, -F NAME (also -fADDR, -FNAME), and any -oXXX.
 *
 * Simulating a mail server that is down: if the file DIR/FAIL exists, the
 * message is read and thrown away, nothing is written, and the program exits
 * 75 (EX_TEMPFAIL) with "sa-sendmail: DIR/FAIL exists, refusing (temporary
 * failure)" on stderr.
 *
 * Exit status: 0 stored; 64 bad usage; 73 cannot create DIR or the file;
 * 74 write error; 75 DIR/FAIL exists.
 *
 * It is a small C program rather than a script because the server runs it
 * for every mail: one process, no shell and no helper programs (a shell
 * script with date, cat and mv cost several times the CPU of the rest of a
 * declaration's requests). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define EX_USAGE    64
#define EX_CANTCREAT 73
#define EX_IOERR    74
#define EX_TEMPFAIL 75

static void usage(const char *msg)
{
    fprintf(stderr, "sa-sendmail: %s\n", msg);
    fprintf(stderr, "usage: sa-sendmail --maildir DIR [-i] [-oi] [-t] [-f ADDR] [-F NAME] "
                    "[-oX] [--] recipient...\n");
    exit(EX_USAGE);
}

/* mkdir -p */
static int make_dirs(const char *dir)
{
    char path[4096];
    size_t n = strlen(dir);

    if (n == 0 || n >= sizeof(path))
        return -1;
    memcpy(path, dir, n + 1);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0777) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

/* Copies standard input to fd (or drops it when fd < 0). */
static int copy_stdin(int fd)
{
    char buf[65536];
    for (;;) {
        ssize_t got = read(0, buf, sizeof(buf));
        if (got == 0)
            return 0;
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        for (ssize_t off = 0; fd >= 0 && off < got;) {
            ssize_t put = write(fd, buf + off, (size_t)(got - off));
            if (put < 0) {
                if (errno == EINTR)
                    continue;
                return -1;
            }
            off += put;
        }
    }
}

int main(int argc, char **argv)
{
    const char *maildir = getenv("SA_MAILDIR");
    int i = 1, from_headers = 0, fd;
    char fail[4200], name[64], tmp[4200], final[4200], stamp[32];
    struct timespec ts;
    struct tm tm;

    if (i < argc && !strcmp(argv[i], "--maildir")) {
        if (i + 1 >= argc)
            usage("--maildir needs a directory");
        maildir = argv[i + 1];
        i += 2;
    } else if (i < argc && !strncmp(argv[i], "--maildir=", 10)) {
        maildir = argv[i] + 10;
        i++;
    }
    if (!maildir || !*maildir)
        usage("no --maildir DIR and no SA_MAILDIR");
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) {
            i++;
            break;
        }
        if (!strcmp(a, "-t"))
            from_headers = 1;
        else if (!strcmp(a, "-i") || !strcmp(a, "-bm") || !strcmp(a, "-v"))
            ;
        else if (!strcmp(a, "-f") || !strcmp(a, "-F")) {
            if (i + 1 >= argc) {
                char msg[64];
                snprintf(msg, sizeof(msg), "%s needs an argument", a);
                usage(msg);
            }
            i++;
        } else if ((a[0] == '-' && (a[1] == 'f' || a[1] == 'F' || a[1] == 'o') && a[2]))
            ;
        else if (a[0] == '-') {
            char msg[300];
            snprintf(msg, sizeof(msg), "unknown option %.200s", a);
            usage(msg);
        } else
            break;
    }
    if (i >= argc && !from_headers)
        usage("no recipient");
    if (strlen(maildir) > 4000)
        usage("the directory's name is too long");

    snprintf(fail, sizeof(fail), "%s/FAIL", maildir);
    if (access(fail, F_OK) == 0) {
        copy_stdin(-1);      /* take the message, as a real server would, then refuse */
        fprintf(stderr, "sa-sendmail: %s/FAIL exists, refusing (temporary failure)\n", maildir);
        return EX_TEMPFAIL;
    }
    if (make_dirs(maildir) != 0) {
        fprintf(stderr, "sa-sendmail: cannot create %s: %s\n", maildir, strerror(errno));
        return EX_CANTCREAT;
    }

    clock_gettime(CLOCK_REALTIME, &ts);
    localtime_r(&ts.tv_sec, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%d%H%M%S", &tm);
    snprintf(name, sizeof(name), "%s.%09ld-%ld", stamp, (long)ts.tv_nsec, (long)getpid());
    snprintf(tmp, sizeof(tmp), "%s/.tmp-%s", maildir, name);
    snprintf(final, sizeof(final), "%s/%s.eml", maildir, name);

    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0) {
        fprintf(stderr, "sa-sendmail: cannot create %s: %s\n", tmp, strerror(errno));
        return EX_CANTCREAT;
    }
    if (copy_stdin(fd) != 0 || close(fd) != 0) {
        fprintf(stderr, "sa-sendmail: cannot write %s: %s\n", tmp, strerror(errno));
        unlink(tmp);
        return EX_IOERR;
    }
    if (rename(tmp, final) != 0) {
        fprintf(stderr, "sa-sendmail: cannot rename %s: %s\n", tmp, strerror(errno));
        unlink(tmp);
        return EX_CANTCREAT;
    }
    return 0;
}
