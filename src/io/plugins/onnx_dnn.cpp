// convpool-onnx.so: ONNX models run by OpenCV's dnn module (see onnx_plugin.hpp).
#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/dnn.hpp>

#include <algorithm>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "onnx_plugin.hpp"

namespace convpool::plugin {
namespace {

/// OpenCV's message without its "OpenCV(4.6.0) path:line: error: (-2:...) " prefix.
std::string short_message(const cv::Exception& e) {
    return e.err.empty() ? std::string(e.what()) : e.err;
}

class DnnNet final : public OnnxNet {
public:
    explicit DnnNet(const cv::dnn::Net& net) : m_net(net) {
        m_net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
        m_net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    }

    [[nodiscard]] std::vector<std::string> layer_names() const override {
        return m_net.getLayerNames();
    }

    [[nodiscard]] std::vector<OnnxLayer> layers(const std::vector<int>& input) override {
        std::vector<OnnxLayer> out;
        try {
            for (const std::string& name : m_net.getLayerNames()) {
                const int id = m_net.getLayerId(name);
                std::vector<cv::dnn::MatShape> ins;
                std::vector<cv::dnn::MatShape> outs;
                m_net.getLayerShapes(cv::dnn::MatShape(input), id, ins, outs);
                out.push_back({name, m_net.getLayer(id)->type,
                               outs.empty() ? std::vector<int>{} : std::vector<int>(outs[0])});
            }
        } catch (const cv::Exception& e) {
            throw std::runtime_error(short_message(e));
        }
        return out;
    }

    [[nodiscard]] std::vector<int> output_shape(const std::vector<int>& input,
                                                const std::string& layer) override {
        try {
            const std::vector<std::string> names = m_net.getLayerNames();
            const int id = layer.empty() ? m_net.getLayerId(m_net.getUnconnectedOutLayersNames()[0])
                                         : m_net.getLayerId(layer);
            std::vector<cv::dnn::MatShape> ins;
            std::vector<cv::dnn::MatShape> outs;
            m_net.getLayerShapes(cv::dnn::MatShape(input), id, ins, outs);
            if (outs.empty()) {
                throw std::runtime_error("layer '" + layer + "' has no output");
            }
            return outs[0];
        } catch (const cv::Exception& e) {
            throw std::runtime_error(short_message(e));
        }
    }

    void forward(const std::vector<int>& input, const float* data, const std::string& layer,
                 const std::function<float*(const std::vector<int>& shape)>& output) override {
        try {
            // NOLINTNEXTLINE(cppcoreguidelines-pro-type-const-cast): cv::Mat wraps, never writes
            const cv::Mat blob(input, CV_32F, const_cast<float*>(data));
            m_net.setInput(blob);
            const cv::Mat result = m_net.forward(layer.empty() ? cv::String() : layer);
            const cv::Mat dense = result.isContinuous() ? result : result.clone();
            if (dense.type() != CV_32F) {
                throw std::runtime_error("the output is not float32");
            }
            float* values = output(std::vector<int>(dense.size.p, dense.size.p + dense.dims));
            std::copy_n(dense.ptr<float>(), dense.total(), values);
        } catch (const cv::Exception& e) {
            throw std::runtime_error(short_message(e));
        }
    }

private:
    cv::dnn::Net m_net;
};

}  // namespace
}  // namespace convpool::plugin

// NOLINTNEXTLINE(readability-identifier-naming): a C symbol looked up by name
extern "C" __attribute__((visibility("default"))) convpool::plugin::OnnxNet* convpool_onnx_open(
    const char* path, std::string* error) {
    try {
        cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
        const cv::dnn::Net net = cv::dnn::readNetFromONNX(path);
        if (net.empty()) {
            *error = "OpenCV read no layers";
            return nullptr;
        }
        return std::make_unique<convpool::plugin::DnnNet>(net).release();
    } catch (const cv::Exception& e) {
        *error = convpool::plugin::short_message(e);
    } catch (const std::exception& e) {
        *error = e.what();
    }
    return nullptr;
}
