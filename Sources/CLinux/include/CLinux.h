// Linux calls that Swift's Glibc module does not export: epoll and eventfd for the HTTP
// server's event loops, and glibc malloc tuning for the long-running server.
// `struct epoll_event` is packed on x86_64, which Swift cannot lay out; the wrappers pass
// its two fields as plain scalars instead.
#ifndef CLINUX_H
#define CLINUX_H

#include <stdint.h>

/// epoll_create1(EPOLL_CLOEXEC); -1 and errno on failure.
int hdrec_epoll_create(void);
/// epoll_ctl(ADD/MOD/DEL) with `events` and a 64-bit token; -1 and errno on failure.
int hdrec_epoll_add(int epfd, int fd, uint32_t events, uint64_t token);
int hdrec_epoll_modify(int epfd, int fd, uint32_t events, uint64_t token);
int hdrec_epoll_remove(int epfd, int fd);
/// epoll_wait into parallel arrays of tokens and event masks; returns the count, 0 on
/// timeout, -1 and errno on failure (EINTR included).
int hdrec_epoll_wait(int epfd, uint64_t *tokens, uint32_t *events, int capacity, int timeout_ms);

/// A non-blocking, close-on-exec eventfd; -1 and errno on failure.
int hdrec_eventfd(void);

/// The event bits, as the kernel defines them.
extern const uint32_t HDREC_EPOLLIN, HDREC_EPOLLOUT, HDREC_EPOLLERR, HDREC_EPOLLHUP,
    HDREC_EPOLLRDHUP, HDREC_EPOLLEXCLUSIVE;

/// glibc malloc for a long-running multi-threaded server: at most `arenas` arenas, and
/// blocks of at least `mmap_threshold` bytes always mapped (and unmapped on free) instead
/// of the default threshold that grows after each large free. Returns 0 if either failed.
int hdrec_malloc_tune(int arenas, int mmap_threshold);
/// Returns free memory at the top of the heap and free whole pages inside every arena to
/// the kernel (malloc_trim(0)); 1 if any was released.
int hdrec_malloc_trim(void);

#endif
