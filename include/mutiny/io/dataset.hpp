// Data sets: labelled or unlabelled images read one sample at a time by index, named by spec
// strings (docs/formats.md, "Data-set specs"). This header gathers the parts:
//   dataset_base.hpp   Dataset, Sample, shared file helpers
//   idx.hpp            IDX files (MNIST, Fashion-MNIST), raw or gzip-compressed
//   cifar.hpp          CIFAR-10/100 binary batches
//   image_folder.hpp   folder:, list:, images:
//   dataset_spec.hpp   spec strings and modifiers: open_dataset(), @first, @sample
//   batch.hpp          make_batch(), batch_labels()
//
// Linking: zlib (-lz) and stb (-lstb, see image.hpp).
#ifndef MUTINY_IO_DATASET_HPP_
#define MUTINY_IO_DATASET_HPP_

#include "batch.hpp"
#include "cifar.hpp"
#include "dataset_base.hpp"
#include "dataset_spec.hpp"
#include "idx.hpp"
#include "image_folder.hpp"

#endif  // MUTINY_IO_DATASET_HPP_
