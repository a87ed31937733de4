#include "CLinux.h"

#include <malloc.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

const uint32_t HDREC_EPOLLIN = EPOLLIN, HDREC_EPOLLOUT = EPOLLOUT, HDREC_EPOLLERR = EPOLLERR,
               HDREC_EPOLLHUP = EPOLLHUP, HDREC_EPOLLRDHUP = EPOLLRDHUP, HDREC_EPOLLEXCLUSIVE = EPOLLEXCLUSIVE;

int hdrec_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

static int control(int epfd, int op, int fd, uint32_t events, uint64_t token) {
    struct epoll_event ev;
    ev.events = events;
    ev.data.u64 = token;
    return epoll_ctl(epfd, op, fd, &ev);
}

int hdrec_epoll_add(int epfd, int fd, uint32_t events, uint64_t token) { return control(epfd, EPOLL_CTL_ADD, fd, events, token); }
int hdrec_epoll_modify(int epfd, int fd, uint32_t events, uint64_t token) { return control(epfd, EPOLL_CTL_MOD, fd, events, token); }
int hdrec_epoll_remove(int epfd, int fd) { return control(epfd, EPOLL_CTL_DEL, fd, 0, 0); }

int hdrec_epoll_wait(int epfd, uint64_t *tokens, uint32_t *events, int capacity, int timeout_ms) {
    struct epoll_event buffer[256];
    if (capacity > 256) capacity = 256;
    int n = epoll_wait(epfd, buffer, capacity, timeout_ms);
    for (int i = 0; i < n; i++) {
        tokens[i] = buffer[i].data.u64;
        events[i] = buffer[i].events;
    }
    return n;
}

int hdrec_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

int hdrec_malloc_tune(int arenas, int mmap_threshold) {
    int ok = mallopt(M_ARENA_MAX, arenas);
    return ok && mallopt(M_MMAP_THRESHOLD, mmap_threshold);
}

int hdrec_malloc_trim(void) { return malloc_trim(0); }
