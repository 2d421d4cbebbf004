// mutiny cluster VECTORS.csv: hierarchical agglomerative clustering of CSV rows, written as a SciPy
// linkage matrix (and, with a cut, flat cluster labels).
#include <algorithm>
#include <cerrno>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <mutiny/cluster/all.hpp>
#include <mutiny/core/error.hpp>
#include <mutiny/io/csv_vectors.hpp>

#include "args.hpp"
#include "commands.hpp"
#include "replacing_file.hpp"

namespace cli {

namespace {

// One row per merge: id1,id2,distance,size. Ids and sizes are integers, distances %.17g (they
// read back exactly), so numpy.loadtxt(FILE, delimiter=',') gives SciPy's matrix.
void write_linkage_csv(std::ostream& os, const mutiny::cluster::LinkageMatrix& Z) {
    char buf[64];
    for (int64_t k = 0; k < Z.rows(); ++k) {
        std::snprintf(buf, sizeof buf, "%.17g", Z.distance(k));
        os << Z.id1(k) << ',' << Z.id2(k) << ',' << buf << ',' << Z.size(k) << '\n';
    }
}

}  // namespace

int cmd_cluster(int argc, char** argv) {
    Args a(argc, argv, 2, {"method", "metric", "maxclust", "threshold", "out", "labels"}, {"help"});
    if (a.has("help")) {
        std::cout << "usage: mutiny cluster VECTORS.csv [--method M] [--metric D] [--maxclust K | --threshold T]\n"
                     "                      [--out FILE] [--labels FILE]\n"
                     "Hierarchical agglomerative clustering of the CSV's rows (numbers only, one vector per row;\n"
                     "the first row is skipped as a header when none of its cells is a number; a non-numeric cell\n"
                     "anywhere else is an error), identical to scipy.cluster.hierarchy.linkage.\n"
                     "  --method M      single, complete, average, weighted, ward (default), centroid, median\n"
                     "  --metric D      euclidean (default), sqeuclidean, cosine; ward/centroid/median need euclidean\n"
                     "  --maxclust K    also cut into at most K flat clusters (fcluster criterion 'maxclust')\n"
                     "  --threshold T   also cut at height T (fcluster criterion 'distance', T >= 0)\n"
                     "  --out FILE      the linkage matrix as CSV, one merge per row: id1,id2,distance,size\n"
                     "                  (numpy.loadtxt(FILE, delimiter=',') reads it); default: standard output\n"
                     "  --labels FILE   with a cut: the flat cluster label (1..k, SciPy's numbering) of each input\n"
                     "                  row, one per line in row order; default FILE.labels.csv for --out FILE, else\n"
                     "                  printed after the matrix, introduced by a line '# labels'\n";
        return 0;
    }
    if (a.positionals().size() != 1) throw UsageError("cluster needs exactly one VECTORS.csv");
    if (a.has("maxclust") && a.has("threshold")) throw UsageError("give --maxclust or --threshold, not both");
    const auto method = mutiny::cluster::parse_method(a.get("method", "ward"));
    const auto metric = mutiny::cluster::parse_metric(a.get("metric", "euclidean"));
    const double threshold = a.get_number("threshold", 0, 0, DBL_MAX);
    const int maxclust = static_cast<int>(a.get_int("maxclust", 1, 1, INT32_MAX));

    const mutiny::CsvVectors v = mutiny::read_csv_vectors(a.positionals()[0]);
    const auto Z = mutiny::cluster::linkage(v.values, v.n, v.d, method, metric);
    std::vector<int> labels;
    const bool cut = a.has("maxclust") || a.has("threshold");
    if (a.has("maxclust")) labels = mutiny::cluster::fcluster_maxclust(Z, maxclust);
    if (a.has("threshold")) labels = mutiny::cluster::fcluster_distance(Z, threshold);

    const std::string out = a.get("out");
    std::string labels_path = a.get("labels", out.empty() ? "" : out + ".labels.csv");
    // Files replace their targets only once both are complete (an existing --out is never
    // truncated first, and a failure leaves no temporary behind).
    std::unique_ptr<ReplacingFile> matrix_file, labels_file;
    if (!out.empty()) matrix_file = std::make_unique<ReplacingFile>(out);
    if (cut && !labels_path.empty()) labels_file = std::make_unique<ReplacingFile>(labels_path);
    write_linkage_csv(matrix_file ? matrix_file->stream() : std::cout, Z);
    if (cut) {
        std::ostream& ls = labels_file ? labels_file->stream() : (std::cout << "# labels\n");
        for (int l : labels) ls << l << '\n';
    }
    if (matrix_file) matrix_file->commit();
    if (labels_file) labels_file->commit();
    if (!out.empty()) {
        int k = 0;
        for (int l : labels) k = std::max(k, l);
        std::cout << "clustered " << v.n << " vectors of dimension " << v.d << " (" << mutiny::cluster::method_name(method) << ", "
                  << mutiny::cluster::metric_name(metric) << "): wrote " << Z.rows() << " rows to " << out;
        if (cut) std::cout << "; " << k << " clusters, labels in " << labels_path;
        std::cout << "\n";
    }
    return 0;
}

}  // namespace cli
