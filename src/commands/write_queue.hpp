#pragma once
/// \file write_queue.hpp
/// Inside `run` (not a public header): the files of one image encoded and written on a worker
/// thread while the pipeline computes its next stage. A job makes one file's bytes (a PNG
/// encode of a picture drawn already) and writes them through the output folder's contract
/// (temporary file, fsync, rename). The caller names each file in the image's record when it
/// submits the job, so the record's order does not depend on when files are written; it writes
/// the record only after finish(), so the record still marks the image's outputs complete.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

namespace convpool {

/// A bounded queue of file jobs and the one thread that runs them, in order.
class WriteQueue {
public:
    /// One file: encode and write (throws what the write throws).
    using Job = std::function<void()>;

    /// At most `waiting` jobs wait beside the one being run: submit() blocks beyond that, so
    /// the pictures held stay bounded. 0 runs every job inside submit(), on the caller's thread.
    explicit WriteQueue(std::size_t waiting) : m_waiting(waiting) {}
    WriteQueue(const WriteQueue&) = delete;
    WriteQueue& operator=(const WriteQueue&) = delete;
    WriteQueue(WriteQueue&&) = delete;
    WriteQueue& operator=(WriteQueue&&) = delete;
    /// Drops the jobs still waiting and waits for the one being run (an image that failed or
    /// was stopped: its record is never written, so the files it did write are leftovers of an
    /// incomplete image, as before).
    ~WriteQueue();

    /// Queues `job`; the worker starts with the first. Rethrows a failure of an earlier job
    /// at once (the image has failed: nothing more is queued).
    void submit(Job job);

    /// Waits until every queued job has run; rethrows the first exception a job threw (the
    /// jobs queued after it are dropped).
    void finish();

private:
    void work();

    std::size_t m_waiting;
    std::deque<Job> m_jobs;
    std::mutex m_mutex;  ///< guards m_jobs, m_busy, m_closing, m_error
    std::condition_variable m_changed;
    bool m_busy = false;
    bool m_closing = false;
    std::exception_ptr m_error;
    std::thread m_worker;
};

}  // namespace convpool
