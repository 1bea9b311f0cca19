// SGD against torch.optim.SGD: every option combination over 6 steps in f64 (and two in
// f32), plus SGD's own option checks. Expected tables: see optim_test_util.hpp for the
// script; the comment above each table is the `make` passed to it.
#include "optim_test_util.hpp"

namespace {

using namespace xg::test::optim;
using xg::optim::SGD;
using xg::optim::SGDOptions;

// torch.optim.SGD(p, lr=0.1)
const Rows kSgdPlain = {
    {0.445, -1.2489999999999999, 1.96, -0.06330000000000001, -0.621, 1.4125},
    {0.45165, -1.26148, 1.8319999999999999, -0.011337000000000003, -0.59253, 1.4454375000000002},
    {0.3581005, -1.3367096, 1.8603999999999998, -0.19008993000000002, -0.49105289999999996,
     1.2782103125000002},
    {0.34335748499999996, -1.3659437920000002, 1.7733799999999997, -0.17818003770000002,
     -0.453679197, 1.2638192609375},
    {0.39305676045, -1.35576266784, 1.5947109999999998, -0.023580233553, -0.46692165320999995,
     1.3775001646328127},
    {0.3792650576365, -1.3841279211968, 1.5179754499999998, -0.02548640786217, -0.43273713748529996,
     1.3666126638096485},
};
// torch.optim.SGD(p, lr=0.1, momentum=0.9)
const Rows kSgdMomentum = {
    {0.445, -1.2489999999999999, 1.96, -0.06330000000000001, -0.621, 1.4125},
    {0.40215, -1.30558, 1.796, -0.09530700000000002, -0.52143, 1.3666875},
    {0.2715205, -1.4326136, 1.6786, -0.29362953, -0.3353169, 1.1586228125},
    {0.14180833499999998, -1.578096112, 1.49501, -0.44882055870000004, -0.14134292699999998,
     0.9575714796875},
    {0.08081313644999998, -1.70309229504, 1.1650284999999998, -0.404122223073,
     -0.0018723464099999565, 0.8918374227578125},
    {0.021493063661499983, -1.8509007056768, 0.8127937249999998, -0.32394027647067,
     0.12528224036970004, 0.8242175844073047},
};
// torch.optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.3)
const Rows kSgdDampening = {
    {0.445, -1.2489999999999999, 1.96, -0.06330000000000001, -0.621, 1.4125},
    {0.400155, -1.301836, 1.8344, -0.11089590000000002, -0.529971, 1.35680625},
    {0.29539124499999997, -1.402614104, 1.741156, -0.27119322570000004, -0.38007632099999994,
     1.189933053125},
    {0.19210064935499999, -1.514700995056, 1.6004959399999998, -0.40087894045110006,
     -0.22444737017099994, 1.0299824102515627},
    {0.13710499963804498, -1.610535010937184, 1.3548845281, -0.39222840531235537,
     -0.10488339328652094, 0.9664218932295885},
    {0.08332970990038654, -1.7202081153833704, 1.0885132989065, -0.3573913364784338,
     0.008913472180549687, 0.9030349512835081},
};
// torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True)
const Rows kSgdNesterov = {
    {0.39549999999999996, -1.2931, 1.924, -0.14727000000000004, -0.5498999999999999, 1.33375},
    {0.36640649999999997, -1.3581778, 1.6518199999999998, -0.10656357000000002, -0.4412732999999999,
     1.326204375},
    {0.16001567949999995, -1.5513327764, 1.5915150999999998, -0.44473572687000007,
     -0.19196362109999993, 0.9728162459375},
    {0.039436022818499956, -1.7194257002632, 1.3637786554999998, -0.5217906945671701,
     -0.018153966383699927, 0.7802930951323438},
    {0.05058690185099547, -1.8346235183748818, 0.9244750626774997, -0.2615147472902145,
     0.04039549226070215, 0.8391871481106646},
    {0.001004012190834186, -2.0131925857689033, 0.5893467376803871, -0.1543170913194495,
     0.12992370468781753, 0.7721308368121976},
};
// torch.optim.SGD(p, lr=0.1, weight_decay=0.05)
const Rows kSgdWeightDecay = {
    {0.4425, -1.2429999999999999, 1.95, -0.06345, -0.6174999999999999, 1.405},
    {0.4470125, -1.249145, 1.8127499999999999, -0.01115325, -0.5861875, 1.43095},
    {0.3513670625, -1.317882175, 1.83304875, -0.18987062625000004, -0.48222343749999996,
     1.2566404999999998},
    {0.3350692153125, -1.3401504076250002, 1.73823106875, -0.17703550423125003,
     -0.44305667968749995, 1.2360740949999998},
    {0.3833417927765625, -1.3227526637393752, 1.55262835996875, -0.021676421244656265,
     -0.45482742871093745, 1.3437133540499997},
    {0.3679248300293828, -1.3438439536954658, 1.4702338001704687, -0.023683632801520794,
     -0.4192153715576171, 1.3262762205094998},
};
// torch.optim.SGD(p, lr=0.05, momentum=0.8, dampening=0.2, weight_decay=0.01)
const Rows kSgdAllDampened = {
    {0.47225, -1.2239, 1.979, -0.016665000000000006, -0.6601499999999999, 1.4555},
    {0.4521941, -1.24732164, 1.9098284, -0.03525707400000001, -0.6155217399999999, 1.4324068},
    {0.39854217315999996, -1.295538596464, 1.86353062064, -0.12056531911440002, -0.5383383145839999,
     1.34649446368},
    {0.3490787087408159, -1.3449582549683265, 1.790876372490944, -0.18705881503724067,
     -0.46010276611701434, 1.271333007911168},
    {0.3291793612170826, -1.379715664509547, 1.660219095972884, -0.1779482003878597,
     -0.4024474087857026, 1.2561526440771156},
    {0.3083780591190041, -1.4185074311927959, 1.523024805200589, -0.16455880857113395,
     -0.3442936165111393, 1.2393935866640886},
};
// torch.optim.SGD(p, lr=0.05, momentum=0.8, weight_decay=0.01, nesterov=True)
const Rows kSgdAllNesterov = {
    {0.45005, -1.24302, 1.9622, -0.053997, -0.62827, 1.4199},
    {0.437733605, -1.268321642, 1.83169502, -0.037968299700000006, -0.576119547, 1.41975254},
    {0.34124834142050003, -1.3508043036782, 1.8032451145819999, -0.20374977311997003,
     -0.4554280135467, 1.2553756682839998},
    {0.2883671985332681, -1.4124999421344573, 1.692482817896286, -0.25380614202794105,
     -0.36743473185322584, 1.1773025483984663},
    {0.29784831881801854, -1.4409940892020079, 1.4795742195437482, -0.1524424934922532,
     -0.32819518271775167, 1.2226995203325692},
    {0.2748990002126087, -1.4938204062211808, 1.3145615336697443, -0.1254415622698674,
     -0.2669170176183396, 1.203640046586212},
};
// f32 parameters: torch.optim.SGD(p, lr=0.05, momentum=0.8, weight_decay=0.01, nesterov=True)
const Rows kSgdAllNesterovF32 = {
    {0.4500499963760376, -1.2430200576782227, 1.9622000455856323, -0.05399700254201889,
     -0.6282699704170227, 1.4198999404907227},
    {0.43773359060287476, -1.2683217525482178, 1.8316950798034668, -0.03796830400824547,
     -0.5761195421218872, 1.4197524785995483},
    {0.3412483334541321, -1.3508044481277466, 1.803245186805725, -0.20374977588653564,
     -0.45542800426483154, 1.255375623703003},
    {0.2883671820163727, -1.4125001430511475, 1.692482829093933, -0.25380614399909973,
     -0.3674347400665283, 1.1773024797439575},
    {0.29784831404685974, -1.4409942626953125, 1.479574203491211, -0.15244249999523163,
     -0.328195184469223, 1.222699522972107},
    {0.2748990058898926, -1.4938205480575562, 1.3145614862442017, -0.1254415661096573,
     -0.26691702008247375, 1.203640103340149},
};
// f32 parameters: torch.optim.SGD(p, lr=0.05, momentum=0.8, dampening=0.2, weight_decay=0.01)
const Rows kSgdAllDampenedF32 = {
    {0.47224998474121094, -1.2239000797271729, 1.9789999723434448, -0.01666499860584736,
     -0.6601499915122986, 1.4555000066757202},
    {0.45219409465789795, -1.2473217248916626, 1.9098284244537354, -0.03525707125663757,
     -0.6155217289924622, 1.4324067831039429},
    {0.3985421657562256, -1.2955386638641357, 1.8635306358337402, -0.12056531757116318,
     -0.538338303565979, 1.346494436264038},
    {0.3490786850452423, -1.3449583053588867, 1.7908763885498047, -0.18705882132053375,
     -0.46010276675224304, 1.2713329792022705},
    {0.3291793465614319, -1.3797156810760498, 1.6602190732955933, -0.1779482066631317,
     -0.4024474024772644, 1.256152629852295},
    {0.30837804079055786, -1.41850745677948, 1.5230247974395752, -0.16455881297588348,
     -0.34429359436035156, 1.2393935918807983},
};

}  // namespace

TEST_CASE("SGD matches torch: plain") {
  check_against_torch(maker<SGD>(SGDOptions{.lr = 0.1}), kSgdPlain);
}

TEST_CASE("SGD matches torch: momentum") {
  check_against_torch(maker<SGD>(SGDOptions{.lr = 0.1, .momentum = 0.9}), kSgdMomentum);
}

TEST_CASE("SGD matches torch: momentum + dampening") {
  check_against_torch(maker<SGD>(SGDOptions{.lr = 0.1, .momentum = 0.9, .dampening = 0.3}),
                      kSgdDampening);
}

TEST_CASE("SGD matches torch: nesterov") {
  check_against_torch(maker<SGD>(SGDOptions{.lr = 0.1, .momentum = 0.9, .nesterov = true}),
                      kSgdNesterov);
}

TEST_CASE("SGD matches torch: weight_decay") {
  check_against_torch(maker<SGD>(SGDOptions{.lr = 0.1, .weight_decay = 0.05}), kSgdWeightDecay);
}

TEST_CASE("SGD matches torch: momentum + dampening + weight_decay") {
  const SGDOptions o{.lr = 0.05, .momentum = 0.8, .dampening = 0.2, .weight_decay = 0.01};
  check_against_torch(maker<SGD>(o), kSgdAllDampened);
}

TEST_CASE("SGD matches torch: nesterov + weight_decay") {
  const SGDOptions o{.lr = 0.05, .momentum = 0.8, .weight_decay = 0.01, .nesterov = true};
  check_against_torch(maker<SGD>(o), kSgdAllNesterov);
}

TEST_CASE("SGD matches torch in f32") {
  const SGDOptions nesterov{.lr = 0.05, .momentum = 0.8, .weight_decay = 0.01, .nesterov = true};
  check_against_torch(maker<SGD>(nesterov), kSgdAllNesterovF32, xg::f32, 1e-6);
  const SGDOptions damped{.lr = 0.05, .momentum = 0.8, .dampening = 0.2, .weight_decay = 0.01};
  check_against_torch(maker<SGD>(damped), kSgdAllDampenedF32, xg::f32, 1e-6);
  // The update really ran in f32: the parameters and the state stay f32.
  Problem pr = make_problem(xg::f32);
  SGD opt(pr.params(), damped);
  set_grads(pr, 0);
  opt.step();
  CHECK(pr.w.dtype() == xg::f32);
  CHECK(opt.state_dict().at("state.0.momentum_buffer").dtype() == xg::f32);
}

TEST_CASE("SGD option checks") {
  using xg::ValueError;
  using xg::test::check_throws;
  Problem pr = make_problem(xg::f64);
  check_throws<ValueError>([&] { SGD opt(pr.params(), {.momentum = 0.9}); },
                           {"SGD", "no learning rate", ".lr"});
  check_throws<ValueError>([&] { SGD opt(pr.params(), {.lr = -0.1}); },
                           {"SGD", "invalid lr = -0.1", ">= 0"});
  check_throws<ValueError>([&] { SGD opt(pr.params(), {.lr = 0.1, .momentum = -0.5}); },
                           {"SGD", "invalid momentum = -0.5"});
  check_throws<ValueError>([&] { SGD opt(pr.params(), {.lr = 0.1, .weight_decay = -1e-4}); },
                           {"SGD", "invalid weight_decay = -0.0001"});
  check_throws<ValueError>([&] { SGD opt(pr.params(), {.lr = 0.1, .nesterov = true}); },
                           {"SGD", "nesterov", "momentum = 0"});
  check_throws<ValueError>(
      [&] {
        SGD opt(pr.params(), {.lr = 0.1, .momentum = 0.9, .dampening = 0.1, .nesterov = true});
      },
      {"SGD", "nesterov", "zero dampening", "dampening = 0.1"});
  check_throws<ValueError>([&] { SGD opt(std::vector<xg::Tensor>{}, {.lr = 0.1}); },
                           {"SGD: got an empty parameter list"});
  check_throws<ValueError>([&] { SGD opt(std::vector<SGD::Group>{}); },
                           {"SGD: got an empty parameter list"});
  // NaN is not a valid learning rate either.
  check_throws<ValueError>(
      [&] {
        SGD opt(pr.params(), {.lr = 0.1});
        opt.set_lr(std::nan(""));
      },
      {"SGD", "lr = nan"});
}

TEST_CASE("SGD: momentum switched on later starts its buffer from the gradient") {
  // torch: a missing momentum_buffer is initialised with d_p itself (no dampening) whenever
  // it is first needed, so lr=0.1, momentum 0 for one step then 0.9 with dampening 0.5 gives
  // the same second update as a fresh optimizer's first.
  Problem a = make_problem(xg::f64), b = make_problem(xg::f64);
  SGD opt_a(a.params(), {.lr = 0.1});
  set_grads(a, 0);
  opt_a.step();
  opt_a.set_option("momentum", 0.9, 0);
  opt_a.set_option("dampening", 0.5, 0);
  SGD opt_b(b.params(), {.lr = 0.1});
  set_grads(b, 0);
  opt_b.step();
  SGD opt_c(b.params(), {.lr = 0.1, .momentum = 0.9, .dampening = 0.5});
  set_grads(a, 1);
  set_grads(b, 1);
  opt_a.step();
  opt_c.step();
  CHECK(values(a) == values(b));
}

// Last test case of the last file in doctest's default (file) order: a summary of every
// comparison with torch.optim run before it in this process.
TEST_CASE("optim summary: largest deviation from torch.optim") {
  const Deviation& d64 = max_deviation(false);
  const Deviation& d32 = max_deviation(true);
  MESSAGE("over " << d64.values << " f64 values compared with torch.optim: largest relative "
                  << "deviation " << d64.relative << " (tolerance 1e-12), largest absolute "
                  << d64.absolute << "; over " << d32.values << " f32 values: relative "
                  << d32.relative << " (tolerance 1e-6), absolute " << d32.absolute);
  CHECK(d64.relative <= 1e-12);
  CHECK(d32.relative <= 1e-6);
}
