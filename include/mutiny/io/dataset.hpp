// Data sets: labelled or unlabelled samples (images, or tensors one per model input) read by index,
// named by spec strings (docs/formats.md, "Data-set specs"). This header gathers the parts:
//   dataset_base.hpp   Dataset, Sample, shared file helpers
//   idx.hpp            IDX files (MNIST, Fashion-MNIST), raw or gzip-compressed
//   cifar.hpp          CIFAR-10/100 binary batches
//   image_folder.hpp   folder:, list:, images:
//   npy.hpp, npz.hpp   NumPy's .npy and .npz files
//   tensor_dataset.hpp npy:, npz: (arrays fed to the model's inputs as stored)
//   backend_test_data.hpp  pb:DIR, an ONNX backend test's data set folder (input_N.pb)
//   dataset_spec.hpp   spec strings and modifiers: open_dataset(), @first, @sample
//   batch.hpp          make_inputs(), make_batch(), input_slots(), batch_labels()
//
// Linking: zlib (-lz) and stb (-lstb, see image.hpp).
#ifndef MUTINY_IO_DATASET_HPP_
#define MUTINY_IO_DATASET_HPP_

#include "backend_test_data.hpp"
#include "batch.hpp"
#include "cifar.hpp"
#include "dataset_base.hpp"
#include "dataset_spec.hpp"
#include "idx.hpp"
#include "image_folder.hpp"
#include "npy.hpp"
#include "npz.hpp"
#include "tensor_dataset.hpp"

#endif  // MUTINY_IO_DATASET_HPP_
