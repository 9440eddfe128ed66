// run's write queue (src/commands/write_queue.hpp): jobs run in the order they were queued, on
// one thread beside the caller's; a job's failure reaches the caller with its type, and the
// jobs after it are dropped.
#include "convpool/core/error.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "commands/write_queue.hpp"

using convpool::WriteQueue;

TEST_CASE("write_queue runs every job in order on its own thread") {
    std::vector<int> done;  // written only by the worker, read after finish()
    std::vector<std::thread::id> threads;
    WriteQueue queue(1);
    for (int i = 0; i < 50; ++i) {
        queue.submit([&done, &threads, i] {
            done.push_back(i);
            threads.push_back(std::this_thread::get_id());
        });
    }
    queue.finish();
    REQUIRE(done.size() == 50);
    for (int i = 0; i < 50; ++i) {
        CHECK(done[static_cast<std::size_t>(i)] == i);
        CHECK(threads[static_cast<std::size_t>(i)] == threads.front());
    }
    CHECK(threads.front() != std::this_thread::get_id());
    queue.finish();  // nothing queued: returns at once
}

TEST_CASE("write_queue with no room runs each job inside submit") {
    WriteQueue queue(0);
    std::thread::id ran;
    queue.submit([&ran] { ran = std::this_thread::get_id(); });
    CHECK(ran == std::this_thread::get_id());
    CHECK_THROWS_AS(queue.submit([] { throw convpool::OutputError("out/a.png: cannot write"); }),
                    convpool::OutputError);
}

TEST_CASE("write_queue passes the first failure on and drops the jobs after it") {
    std::atomic<int> after{0};
    std::atomic<bool> release{false};
    WriteQueue queue(8);
    // The first job holds the worker until every job is queued, so that the failing one is
    // surely followed by queued jobs.
    queue.submit([&release] {
        while (!release.load()) {
            std::this_thread::yield();
        }
    });
    queue.submit([] { throw convpool::OutputError("out/01_relu.png: cannot write: No space"); });
    for (int i = 0; i < 5; ++i) {
        queue.submit([&after] { ++after; });
    }
    release = true;
    CHECK_THROWS_WITH_AS(queue.finish(), "out/01_relu.png: cannot write: No space",
                         convpool::OutputError);
    CHECK(after.load() == 0);
    // Once failed, nothing more is queued: submit throws the same error.
    CHECK_THROWS_AS(queue.submit([&after] { ++after; }), convpool::OutputError);
    CHECK(after.load() == 0);
}

TEST_CASE("write_queue's destructor waits for the job under way") {
    std::atomic<bool> started{false};
    std::atomic<bool> finished{false};
    {
        WriteQueue queue(1);
        queue.submit([&started, &finished] {
            started = true;
            for (int i = 0; i < 1000; ++i) {
                std::this_thread::yield();
            }
            finished = true;
        });
        while (!started.load()) {
            std::this_thread::yield();
        }
    }
    CHECK(finished.load());
}
