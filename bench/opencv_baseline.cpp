// The whole-process baseline of bench/run_benchmarks.py: the job convpool's
// `run IMG -p "gray | conv:sobel-x | relu | pool:max,k=2,s=2" --emit final` does, written as a
// plain program with OpenCV calls, as someone would without convpool.
//   opencv_baseline INPUT.jpg OUTPUT.png THREADS
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: opencv_baseline INPUT OUTPUT.png THREADS\n");
        return 2;
    }
    cv::setNumThreads(std::atoi(argv[3]));
    const cv::Mat gray = cv::imread(argv[1], cv::IMREAD_GRAYSCALE);
    if (gray.empty()) {
        std::fprintf(stderr, "cannot read %s\n", argv[1]);
        return 3;
    }
    cv::Mat f;
    gray.convertTo(f, CV_32F, 1.0 / 255.0);
    const float sobel[] = {-1, 0, 1, -2, 0, 2, -1, 0, 1};
    cv::Mat edges;
    cv::filter2D(f, edges, CV_32F, cv::Mat(3, 3, CV_32F, const_cast<float*>(sobel)));  // reflect101
    cv::threshold(edges, edges, 0.0, 0.0, cv::THRESH_TOZERO);  // relu
    cv::Mat dilated;
    // 2x2 max: dilate with the anchor at the window's top-left cell, then keep every other cell.
    cv::dilate(edges, dilated, cv::Mat::ones(2, 2, CV_8U), cv::Point(0, 0));
    cv::Mat pooled(dilated.rows / 2, dilated.cols / 2, CV_32F);
    cv::resize(dilated, pooled, pooled.size(), 0, 0, cv::INTER_NEAREST);
    cv::Mat out;
    cv::normalize(pooled, out, 0, 255, cv::NORM_MINMAX, CV_8U);
    if (!cv::imwrite(argv[2], out)) {
        std::fprintf(stderr, "cannot write %s\n", argv[2]);
        return 4;
    }
    return 0;
}
