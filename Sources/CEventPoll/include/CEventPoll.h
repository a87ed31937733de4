// epoll and eventfd for the HTTP server's event loops. Swift's Glibc module does not
// export <sys/epoll.h>, and `struct epoll_event` is packed on x86_64, which Swift cannot
// lay out; these wrappers pass its two fields as plain scalars instead.
#ifndef CEVENTPOLL_H
#define CEVENTPOLL_H

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

#endif
