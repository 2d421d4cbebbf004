// `mutiny campaign ... --mpi` (docs/cli.md, "Scale out"): one campaign over the ranks of an MPI job.
// Every rank loads the model and data itself (cmd_campaign did, before this is called). The mutant
// list is dealt by cost into 2 x ranks chunks (shard.hpp; chunk K of N is shard K/N); rank 0 hands
// them out one at a time from a queue, so a slow rank takes fewer, and runs chunks itself between
// requests. Two per rank, not more: every chunk reruns the original over every input and every
// chunk after a rank's first costs that much again (the data hash, one more pass over the data,
// is computed once per rank and handed to its later chunks). A chunk is a campaign of its own over those mutants, checkpointed after every batch in
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

int run_campaign_mpi(const SplitCampaign&, const std::vector<mutiny::Mutant>&, const std::string&) {
    throw UsageError("--mpi needs a mutiny built with MPI (configure with -DMUTINY_WITH_MPI=ON; Debian: libopenmpi-dev)");
}

}  // namespace cli

#else

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <filesystem>
#include <fstream>
#include <iostream>
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

int master(const SplitCampaign& s, const std::vector<mutiny::Mutant>& all, const std::string& key, const Chunks& ch, int ranks,
           const std::string& command_line) {
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<mutiny::CampaignPart> parts(static_cast<size_t>(ch.count));
    std::vector<bool> have(static_cast<size_t>(ch.count), false);
    std::deque<int64_t> queue;
    int64_t resumed = 0;
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
    say("mpi: " + std::to_string(all.size()) + " mutants x " + std::to_string(s.data.size()) + " inputs in " + std::to_string(ch.count) + " chunks on " +
        std::to_string(ranks) + (ranks == 1 ? " rank" : " ranks") + (resumed ? ", " + std::to_string(resumed) + " chunks done before" : std::string()) + " -> " +
        s.options.out_dir);
    int64_t done = resumed, from_checkpoint = 0;
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
    std::string data_hash;
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
    std::vector<std::string> where;
    for (int64_t c = 0; c < ch.count; ++c) where.push_back(ch.file(c));
    const mutiny::CampaignResult r = mutiny::merge_parts(std::move(parts), where);
    if (s.options.keep_outputs) assemble_outputs(s, ch, r);
    mutiny::write_campaign_report(s.options.out_dir, r, s.options, command_line);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::cout << "mpi: " << ranks << (ranks == 1 ? " rank, " : " ranks, ") << ch.count << " chunks";
    if (resumed || from_checkpoint)
        std::cout << " (" << resumed << " done before, " << from_checkpoint << " resumed from their checkpoints)";
    std::cout << ", " << secs << " s\n";
    for (size_t d = 0; d < r.devices.size(); ++d)
        for (size_t c = 0; c < r.criteria.size(); ++c) {
            const mutiny::Score sc = mutiny::campaign_scores(r, d, c, "").at("all");
            std::cout << r.devices[d] << " " << r.criteria[c].name() << ": " << sc.counted() << " counted, " << sc.killed + sc.crashed << " killed, kill ratio "
                      << 100 * sc.kill_ratio() << "%\n";
        }
    std::cout << "report: " << s.options.out_dir << "/report.html\n";
    check_some_device_ran(r, s.model_path);
    return 0;
}

void worker(const SplitCampaign& s, const std::vector<mutiny::Mutant>& all, const std::string& key, const Chunks& ch) {
    std::vector<uint8_t> result;  // empty: the first request
    std::string data_hash;
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

}  // namespace

int run_campaign_mpi(const SplitCampaign& s, const std::vector<mutiny::Mutant>& all, const std::string& command_line) {
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
    int rank = 0, ranks = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    int rc = 0;
    try {
        // Every rank derives the same key and chunks from what it loaded; rank 0 checks each
        // result's key, so a rank given another model or data set is named, not merged.
        const std::string key = whole_campaign_key(s, all);
        Chunks ch;
        ch.dir = s.options.out_dir + "/chunks";
        ch.count = std::max<int64_t>(1, std::min<int64_t>(static_cast<int64_t>(all.size()), 2 * static_cast<int64_t>(ranks)));
        ch.mutants = mutiny::deal_by_cost(mutiny::mutant_costs(s.feeding.model.graph, all, s.options.instances), ch.count);
        if (rank == 0) {
            std::error_code ec;
            std::filesystem::create_directories(ch.dir, ec);
            if (ec) throw mutiny::Error("cannot create the chunks folder", ch.dir, ec.message());
            rc = master(s, all, key, ch, ranks, command_line);
        } else {
            worker(s, all, key, ch);
        }
    } catch (const std::exception& e) {
        // One rank's failure ends the job: the others would wait for it forever.
        std::cerr << "mutiny campaign: error: " << (ranks > 1 ? "rank " + std::to_string(rank) + ": " : std::string()) << e.what() << "\n";
        MPI_Abort(MPI_COMM_WORLD, 1);
        return 1;
    }
    MPI_Finalize();
    return rc;
}

}  // namespace cli

#endif
