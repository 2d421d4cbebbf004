// `mutiny campaign ... --mpi` (docs/cli.md, "Scale out"): one campaign over the ranks of an MPI job.
// Every rank loads the model and data itself (cmd_campaign did, before this is called). The mutant
// list is dealt by cost into chunks (shard.hpp; chunk K of N is shard K/N; how many:
// mpi_chunk_count, one per rank and up to two while it is cheap, or --chunks N); rank 0 hands them
// out one at a time from a queue, so a slow rank takes fewer, and runs chunks itself between
// requests. Few chunks: every chunk reruns the original over every input, and every chunk after a
// rank's first costs that much again (the data hash, one more pass over the data, is computed once
// per rank and handed to its later chunks). A chunk is a campaign of its own over those mutants, checkpointed after every batch in
// DIR/chunks/chunk-K-of-N/, and its result comes back to rank 0, which writes it to
// DIR/chunks/chunk-K-of-N.bin (merge.hpp's part file) before handing out the next chunk. When all
// are in, rank 0 merges them and writes the report through the writer a single run uses. Kept
// outputs: each chunk writes its own rows in its folder, and rank 0 copies them into
// DIR/outputs-DEVICE.f32 in list order (the single run's file, byte for byte); the chunk folders
// must be readable on rank 0's machine then (one machine, or --out on shared storage).
//
// A rank that dies takes the job down (MPI's default); `--resume` then loads the chunk files done,
// hands out the rest, and a chunk interrupted mid-way resumes from its checkpoint (on shared
// storage, any rank can). Only with MUTINY_WITH_MPI; otherwise --mpi is a bad call naming the option.
#include "campaign_shard.hpp"

#ifndef MUTINY_WITH_MPI

namespace cli {

[[noreturn]] static void no_mpi() {
    throw UsageError("--mpi needs a mutiny built with MPI (configure with -DMUTINY_WITH_MPI=ON; Debian: libopenmpi-dev)");
}

int run_campaign_mpi(const SplitCampaign&, const std::vector<mutiny::Mutant>&, const std::string&, int64_t) { no_mpi(); }
MpiJob::MpiJob() { no_mpi(); }
MpiJob::~MpiJob() = default;
MpiRun MpiJob::run(const SplitCampaign&, const std::vector<mutiny::Mutant>&, const std::string&, const std::vector<size_t>&, const std::string&, int64_t) { no_mpi(); }
bool MpiJob::agree(bool) const { no_mpi(); }
void MpiJob::abort(const std::exception&) const { no_mpi(); }

}  // namespace cli

#else

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstdint>
#include <deque>
#include <functional>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include <mpi.h>
#include <unistd.h>

#include <mutiny/analysis/campaign_files.hpp>
#include <mutiny/report/html.hpp>

namespace cli {

namespace {

constexpr int kTagResult = 1;  // worker -> 0: the part of the chunk it finished (empty: none yet); it wants the next
constexpr int kTagChunk = 2;   // 0 -> worker: the chunk to run (0-based), or -1: stop

// Waits for a request without spinning: Open MPI's blocking calls poll a core at 100%, CPU time
// the ranks' campaigns need on a shared machine.
void wait_for(MPI_Request& req) {
    for (;;) {
        int done = 0;
        MPI_Test(&req, &done, MPI_STATUS_IGNORE);
        if (done) return;
        ::usleep(1000);
    }
}

struct Chunks {
    std::string dir;
    int64_t count = 0;
    std::vector<std::vector<size_t>> mutants;
    std::string name(int64_t c) const { return "chunk-" + std::to_string(c + 1) + "-of-" + std::to_string(count); }
    std::string file(int64_t c) const { return dir + "/" + name(c) + ".bin"; }
};

// `data_hash`: this rank's data hash once its first chunk computed it ("" before).
mutiny::CampaignPart run_chunk(const SplitCampaign& s, const std::vector<mutiny::Mutant>& all, const std::string& key, const Chunks& ch, int64_t c,
                               const std::function<void()>& between_mutants, std::string& data_hash) {
    SplitCampaign mine = s;
    mine.options.out_dir = ch.dir + "/" + ch.name(c);
    mine.options.data_hash = data_hash;
    mine.options.progress = [&](int64_t, int64_t) {
        if (between_mutants) between_mutants();
    };
    mutiny::CampaignPart p = run_campaign_part(mine, all, key, ch.mutants[static_cast<size_t>(c)], "chunk", c + 1, ch.count);
    data_hash = p.r.data_hash;
    return p;
}

// DIR/outputs-DEVICE.f32 ([1 + mutants][inputs][classes] float32) from the chunks' files: row 0,
// the original, from the first chunk; mutant i's row from the chunk that ran it. Written to a
// temporary name and renamed, so a failed copy leaves no half file under the real name.
void assemble_outputs(const SplitCampaign& s, const Chunks& ch, const mutiny::CampaignResult& r) {
    const auto row = static_cast<std::streamsize>(r.inputs * r.classes * 4);
    std::vector<std::pair<int64_t, int64_t>> from(r.mutants.size() + 1, {0, 0});  // (chunk, row in it) per row
    for (int64_t c = 0; c < ch.count; ++c) {
        const auto& idx = ch.mutants[static_cast<size_t>(c)];
        for (size_t k = 0; k < idx.size(); ++k) from[idx[k] + 1] = {c, static_cast<int64_t>(k) + 1};
    }
    std::vector<char> buf(static_cast<size_t>(row));
    for (const std::string& dev : s.options.devices) {
        const std::string name = "outputs-" + mutiny::campaign_detail::device_file_name(dev) + ".f32";
        std::vector<std::ifstream> in;
        for (int64_t c = 0; c < ch.count; ++c) {
            const std::string path = ch.dir + "/" + ch.name(c) + "/" + name;
            const auto rows = static_cast<std::uintmax_t>(ch.mutants[static_cast<size_t>(c)].size() + 1);
            std::error_code ec;
            if (std::filesystem::file_size(path, ec) != rows * static_cast<std::uintmax_t>(row) || ec)
                throw mutiny::Error("cannot gather the kept outputs", path,
                                    "missing or not of the chunk's size on rank 0's machine (put --out on shared storage, or run with --no-outputs)");
            in.emplace_back(path, std::ios::binary);
        }
        const std::string out = s.options.out_dir + "/" + name;
        {
            std::ofstream o(out + ".tmp", std::ios::binary | std::ios::trunc);
            for (const auto& f : from) {
                std::ifstream& i = in[static_cast<size_t>(f.first)];
                i.clear();
                i.seekg(f.second * row);
                if (!i.read(buf.data(), row)) throw mutiny::Error("cannot read", ch.dir + "/" + ch.name(f.first) + "/" + name, "short read");
                o.write(buf.data(), row);
            }
            o.flush();
            if (!o) throw mutiny::Error("cannot write", out + ".tmp", "write failed (disk full?)");
        }
        std::filesystem::rename(out + ".tmp", out);
    }
}

// Rank 0's side of a run over chunks: resumes the chunks whose files exist, hands out the rest one
// at a time (a slow rank takes fewer), runs chunks itself between requests, and returns every
// chunk's part in chunk order once every worker has been told to stop.
std::vector<mutiny::CampaignPart> lead(const SplitCampaign& s, const std::vector<mutiny::Mutant>& all, const std::string& key, const Chunks& ch, int ranks,
                                       std::string& data_hash, int64_t& resumed, int64_t& from_checkpoint) {
    std::vector<mutiny::CampaignPart> parts(static_cast<size_t>(ch.count));
    std::vector<bool> have(static_cast<size_t>(ch.count), false);
    std::deque<int64_t> queue;
    resumed = 0;
    from_checkpoint = 0;
    for (int64_t c = 0; c < ch.count; ++c) {
        if (s.options.resume && std::filesystem::exists(ch.file(c))) {
            mutiny::CampaignPart p = mutiny::read_part(ch.file(c));
            if (p.key != key)
                throw mutiny::Error("chunk belongs to another campaign", ch.file(c),
                                    mutiny::identity_difference(p.key, key) + "; use another --out folder, or drop --resume to start over");
            parts[static_cast<size_t>(c)] = std::move(p);
            have[static_cast<size_t>(c)] = true;
            ++resumed;
        } else {
            queue.push_back(c);
        }
    }
    auto say = [&](const std::string& line) {
        if (!s.quiet) std::cerr << line << "\n";
    };
    size_t mutants = 0;
    for (const auto& m : ch.mutants) mutants += m.size();
    say("mpi: " + std::to_string(mutants) + " mutants x " + std::to_string(s.data.size()) + " inputs in " + std::to_string(ch.count) + " chunks on " +
        std::to_string(ranks) + (ranks == 1 ? " rank" : " ranks") + (resumed ? ", " + std::to_string(resumed) + " chunks done before" : std::string()) + " -> " +
        ch.dir);
    int64_t done = resumed;
    auto keep = [&](mutiny::CampaignPart p, int who) {
        const int64_t c = p.index - 1;
        if (p.key != key) throw mutiny::Error("rank " + std::to_string(who) + " ran another campaign", "mpi", mutiny::identity_difference(p.key, key));
        if (p.kind != "chunk" || p.count != ch.count || c < 0 || c >= ch.count || have[static_cast<size_t>(c)])
            throw mutiny::Error("unexpected result", "rank " + std::to_string(who), p.label() + " was not handed out");
        mutiny::write_part(ch.file(c), p);
        if (p.r.resumed_at_batch >= 0) ++from_checkpoint;
        parts[static_cast<size_t>(c)] = std::move(p);
        have[static_cast<size_t>(c)] = true;
        ++done;
        say("mpi: " + ch.name(c) + " done by rank " + std::to_string(who) + " (" + std::to_string(done) + "/" + std::to_string(ch.count) + ")");
    };
    int workers = ranks - 1;
    std::vector<uint8_t> buf;
    // Answers every worker that is waiting: takes its result, hands it the next chunk or stops it.
    auto serve = [&] {
        for (;;) {
            int flag = 0;
            MPI_Status st;
            MPI_Iprobe(MPI_ANY_SOURCE, kTagResult, MPI_COMM_WORLD, &flag, &st);
            if (!flag) return;
            int n = 0;
            MPI_Get_count(&st, MPI_BYTE, &n);
            buf.resize(static_cast<size_t>(n));
            MPI_Recv(buf.data(), n, MPI_BYTE, st.MPI_SOURCE, kTagResult, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            if (n > 0) keep(mutiny::load_part(buf, "the result of rank " + std::to_string(st.MPI_SOURCE)), st.MPI_SOURCE);
            int64_t next = -1;
            if (!queue.empty()) {
                next = queue.front();
                queue.pop_front();
            } else {
                --workers;
            }
            MPI_Send(&next, 1, MPI_INT64_T, st.MPI_SOURCE, kTagChunk, MPI_COMM_WORLD);
        }
    };
    for (;;) {
        serve();
        if (!queue.empty()) {
            const int64_t c = queue.front();
            queue.pop_front();
            keep(run_chunk(s, all, key, ch, c, serve, data_hash), 0);
            continue;
        }
        if (workers == 0) break;
        ::usleep(2000);
    }
    return parts;
}

// A worker's side: asks for a chunk, runs it, sends its part back with the next request, until
// rank 0 says stop.
void follow(const SplitCampaign& s, const std::vector<mutiny::Mutant>& all, const std::string& key, const Chunks& ch, std::string& data_hash) {
    std::vector<uint8_t> result;  // empty: the first request
    for (;;) {
        MPI_Request req;
        MPI_Isend(result.data(), static_cast<int>(result.size()), MPI_BYTE, 0, kTagResult, MPI_COMM_WORLD, &req);
        wait_for(req);
        int64_t next = -1;
        MPI_Irecv(&next, 1, MPI_INT64_T, 0, kTagChunk, MPI_COMM_WORLD, &req);
        wait_for(req);
        if (next < 0) return;
        result = mutiny::save_part(run_chunk(s, all, key, ch, next, nullptr, data_hash));
    }
}

// The chunk count rank 0 chose: --chunks N; else, resuming, the count the chunk files and folders
// in `dir` were written with (another count would name other chunks and redo their work); else
// mpi_chunk_count's choice.
int64_t choose_chunk_count(const SplitCampaign& s, const std::vector<mutiny::Mutant>& all, const std::vector<double>& cost, int64_t asked, int ranks,
                           const std::string& dir) {
    std::set<int64_t> written;
    std::error_code ec;
    if (s.options.resume)
        for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
            const std::string name = e.path().filename().string();
            long long k = 0, n = 0;
            char tail[8] = {0};
            if (std::sscanf(name.c_str(), "chunk-%lld-of-%lld%7s", &k, &n, tail) >= 2 && n > 0) written.insert(n);
        }
    if (written.size() > 1)
        throw mutiny::Error("chunks of different splits", dir, "chunk files of " + std::to_string(*written.begin()) + " and " + std::to_string(*written.rbegin()) +
                                                                " chunks; remove the folder of the split you do not want");
    if (asked > 0) {
        const int64_t n = std::min<int64_t>(asked, std::max<int64_t>(1, static_cast<int64_t>(all.size())));
        if (!written.empty() && *written.begin() != n)
            throw mutiny::Error("cannot resume with another chunk count", dir, "its chunks were dealt into " + std::to_string(*written.begin()) + ", --chunks asks for " +
                                                                               std::to_string(n) + "; resume with --chunks " + std::to_string(*written.begin()) + " or without --chunks");
        return n;
    }
    if (!written.empty()) return *written.begin();
    return mutiny::mpi_chunk_count(cost, mutiny::graph_flops(s.feeding.model.graph, mutiny::symbolic_size(s.feeding.model.graph)), ranks);
}

}  // namespace

MpiJob::MpiJob() {
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
}

MpiJob::~MpiJob() { MPI_Finalize(); }

MpiRun MpiJob::run(const SplitCampaign& s, const std::vector<mutiny::Mutant>& all, const std::string& key, const std::vector<size_t>& indices,
                   const std::string& dir, int64_t chunks) {
    MpiRun out;
    Chunks ch;
    ch.dir = dir;
    // Rank 0 chooses the count (it alone may see the chunk files of a resumed run) and tells the rest.
    // The whole list's estimate once per job: every round of a sample deals a part of the same list.
    if (cost_.size() != all.size()) cost_ = mutiny::mutant_costs(s.feeding.model.graph, all, s.options.instances);
    std::vector<double> cost;
    cost.reserve(indices.size());
    for (size_t i : indices) cost.push_back(cost_[i]);
    if (rank == 0) {
        std::error_code ec;
        std::filesystem::create_directories(ch.dir, ec);
        if (ec) throw mutiny::Error("cannot create the chunks folder", ch.dir, ec.message());
        ch.count = choose_chunk_count(s, all, cost, chunks, ranks, ch.dir);
    }
    MPI_Bcast(&ch.count, 1, MPI_INT64_T, 0, MPI_COMM_WORLD);
    ch.mutants = mutiny::deal_by_cost(cost, ch.count);
    for (auto& m : ch.mutants)
        for (size_t& i : m) i = indices[i];  // positions in `indices` -> indices into `all`
    out.chunks = ch.count;
    if (rank == 0) {
        out.parts = lead(s, all, key, ch, ranks, data_hash_, out.resumed, out.from_checkpoint);
        std::vector<std::string> where;
        for (int64_t c = 0; c < ch.count; ++c) where.push_back(ch.file(c));
        out.where = std::move(where);
        if (s.options.keep_outputs) {
            out.outputs = [ch, s](const mutiny::CampaignResult& r) { assemble_outputs(s, ch, r); };
        }
    } else {
        follow(s, all, key, ch, data_hash_);
    }
    return out;
}

bool MpiJob::agree(bool value) const {
    int v = value ? 1 : 0;
    MPI_Bcast(&v, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return v != 0;
}

void MpiJob::abort(const std::exception& e) const {
    std::cerr << "mutiny campaign: error: " << (ranks > 1 ? "rank " + std::to_string(rank) + ": " : std::string()) << e.what() << "\n";
    MPI_Abort(MPI_COMM_WORLD, 1);
    std::exit(1);
}

int run_campaign_mpi(const SplitCampaign& s, const std::vector<mutiny::Mutant>& all, const std::string& command_line, int64_t chunks) {
    MpiJob job;
    try {
        // Every rank derives the same key and chunks from what it loaded; rank 0 checks each
        // result's key, so a rank given another model or data set is named, not merged.
        const auto t0 = std::chrono::steady_clock::now();
        const std::string key = whole_campaign_key(s, all);
        std::vector<size_t> every(all.size());
        for (size_t i = 0; i < every.size(); ++i) every[i] = i;
        MpiRun run = job.run(s, all, key, every, s.options.out_dir + "/chunks", chunks);
        if (job.rank != 0) return 0;
        const mutiny::CampaignResult r = mutiny::merge_parts(std::move(run.parts), run.where);
        if (run.outputs) run.outputs(r);
        mutiny::write_campaign_report(s.options.out_dir, r, s.options, command_line);
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::cout << "mpi: " << job.ranks << (job.ranks == 1 ? " rank, " : " ranks, ") << run.chunks << " chunks";
        if (run.resumed || run.from_checkpoint)
            std::cout << " (" << run.resumed << " done before, " << run.from_checkpoint << " resumed from their checkpoints)";
        std::cout << ", " << secs << " s\n";
        for (size_t d = 0; d < r.devices.size(); ++d)
            for (size_t c = 0; c < r.criteria.size(); ++c) {
                const mutiny::Score sc = mutiny::campaign_scores(r, d, c, "").at("all");
                std::cout << r.devices[d] << " " << r.criteria[c].name() << ": " << sc.counted() << " counted, " << sc.killed + sc.crashed << " killed, kill ratio "
                          << 100 * sc.kill_ratio() << "%\n";
            }
        std::cout << "report: " << s.options.out_dir << "/report.html\n";
        check_some_device_ran(r, s.model_path);
    } catch (const std::exception& e) {
        // One rank's failure ends the job: the others would wait for it forever.
        job.abort(e);
    }
    return 0;
}

}  // namespace cli

#endif
