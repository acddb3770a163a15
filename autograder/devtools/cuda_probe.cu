// The CUDA probe: proves the one build compiles and links CUDA, and tells
// `dlsys doctor` which GPUs the CUDA runtime sees when cuda-python is absent.
//
// Built by the repository's one build whenever nvcc exists, into
// autograder/_cuda_probe*.so; the runtime is linked statically, so the module
// imports on machines without a GPU or driver, and its calls raise there.
#include <cuda_runtime.h>
#include <pybind11/pybind11.h>

#include <string>

namespace py = pybind11;

namespace {

void check(cudaError_t status, const char *what)
{
    if (status != cudaSuccess)
        throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(status));
}

int device_count()
{
    int count = 0;
    check(cudaGetDeviceCount(&count), "cudaGetDeviceCount");
    return count;
}

py::list devices()
{
    py::list result;
    for (int index = 0, count = device_count(); index < count; ++index) {
        cudaDeviceProp prop{};
        check(cudaGetDeviceProperties(&prop, index), "cudaGetDeviceProperties");
        py::dict device;
        device["index"] = index;
        device["name"] = std::string(prop.name);
        device["total_memory"] = static_cast<size_t>(prop.totalGlobalMem);
        device["compute_capability"] = py::make_tuple(prop.major, prop.minor);
        result.append(device);
    }
    return result;
}

int runtime_version()
{
    int version = 0;
    check(cudaRuntimeGetVersion(&version), "cudaRuntimeGetVersion");
    return version;
}

}  // namespace

PYBIND11_MODULE(_cuda_probe, m)
{
    m.doc() = "CUDA runtime probe built by the dlsys build";
    m.def("device_count", &device_count, "Number of CUDA devices; raises RuntimeError without a driver.");
    m.def("devices", &devices, "One dict per device: index, name, total_memory, compute_capability.");
    m.def("runtime_version", &runtime_version, "CUDA runtime version the module was linked with, e.g. 13000.");
}
