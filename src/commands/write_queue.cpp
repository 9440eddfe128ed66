#include "write_queue.hpp"

#include <utility>

namespace convpool {

WriteQueue::~WriteQueue() {
    {
        const std::lock_guard<std::mutex> lock(m_mutex);
        m_closing = true;
        m_jobs.clear();
    }
    m_changed.notify_all();
    if (m_worker.joinable()) {
        m_worker.join();
    }
}

void WriteQueue::submit(Job job) {
    if (m_waiting == 0) {
        job();
        return;
    }
    std::unique_lock<std::mutex> lock(m_mutex);
    if (!m_worker.joinable()) {
        m_worker = std::thread([this] { work(); });
    }
    m_changed.wait(lock, [this] { return m_jobs.size() < m_waiting || m_error; });
    if (m_error) {
        std::rethrow_exception(m_error);
    }
    m_jobs.push_back(std::move(job));
    lock.unlock();
    m_changed.notify_all();
}

void WriteQueue::finish() {
    std::unique_lock<std::mutex> lock(m_mutex);
    m_changed.wait(lock, [this] { return m_jobs.empty() && !m_busy; });
    if (m_error) {
        std::rethrow_exception(m_error);
    }
}

void WriteQueue::work() {
    std::unique_lock<std::mutex> lock(m_mutex);
    while (true) {
        m_changed.wait(lock, [this] { return m_closing || !m_jobs.empty(); });
        if (m_jobs.empty()) {
            return;  // closing, nothing left
        }
        Job job = std::move(m_jobs.front());
        m_jobs.pop_front();
        m_busy = true;
        lock.unlock();
        m_changed.notify_all();  // a place in the queue is free
        std::exception_ptr error;
        try {
            job();
        } catch (...) {
            error = std::current_exception();
        }
        job = nullptr;  // the picture it held is freed before the next one is taken
        lock.lock();
        m_busy = false;
        if (error && !m_error) {
            m_error = error;
        }
        if (m_error) {
            m_jobs.clear();
        }
        m_changed.notify_all();
    }
}

}  // namespace convpool
