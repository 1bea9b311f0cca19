// Adam and AdamW against torch.optim.Adam / torch.optim.AdamW: every option combination
// over 6 steps in f64 (and one each in f32), plus their option checks. Expected tables:
// see optim_test_util.hpp for the script; the comment above each table is the `make`
// passed to it.
#include "optim_test_util.hpp"

namespace {

using namespace xg::test::optim;
using xg::optim::Adam;
using xg::optim::AdamOptions;
using xg::optim::AdamW;
using xg::optim::AdamWOptions;

// torch.optim.Adam(p, lr=0.05)
const Rows kAdamPlain = {
    {0.4500000009090909, -1.2499999989795918, 1.95000000125, -0.01999999946409431,
     -0.6500000006329114, 1.4500000005714286},
    {0.42109779974496364, -1.291663580544377, 1.904473436421814, -0.033089560434649785,
     -0.6053410893809658, 1.4316729072261647},
    {0.38221982766726303, -1.336101618077036, 1.8756977184016448, -0.06572757101304408,
     -0.5587287160106847, 1.3968785368973573},
    {0.34657095185569226, -1.3796393032491217, 1.8401268155980013, -0.09271266138321377,
     -0.5135479026377453, 1.3661957479730946},
    {0.33045663772375505, -1.4134311155882684, 1.799769734052692, -0.09554313906335658,
     -0.47721021517730045, 1.357716156361157},
    {0.3140488784483799, -1.4489385770789325, 1.7582281304710945, -0.09735683589126135,
     -0.4404892646459293, 1.3491527969018142},
};
// torch.optim.Adam(p, lr=0.05, weight_decay=0.1)
const Rows kAdamWeightDecay = {
    {0.4500000008333333, -1.2499999986486485, 1.9500000008333334, -0.01999999946581197,
     -0.6500000005813953, 1.4500000004878049},
    {0.4177558638418287, -1.2835029100610114, 1.9028944532111611, -0.033069729730108244,
     -0.6045162607476878, 1.4235415612058155},
    {0.37747510068186607, -1.324164492751408, 1.8676782205039428, -0.06568224617054978,
     -0.5573636589767338, 1.3856590664343924},
    {0.3401233753016291, -1.362856704999889, 1.8275494465316662, -0.09255469040430266,
     -0.511542679618218, 1.3509531209795145},
    {0.3210191968075867, -1.3856793004746186, 1.784397597841906, -0.0951947475431769,
     -0.4735651636365177, 1.3360997210015801},
    {0.3015727512809538, -1.409944007657131, 1.740387845067791, -0.09675046247994298,
     -0.4352957101977797, 1.3206873615182733},
};
// torch.optim.Adam(p, lr=0.05, amsgrad=True)
const Rows kAdamAmsgrad = {
    {0.4500000009090909, -1.2499999989795918, 1.95000000125, -0.01999999946409431,
     -0.6500000006329114, 1.4500000005714286},
    {0.42109779974496364, -1.291663580544377, 1.904473436421814, -0.033089560434649785,
     -0.6053410893809658, 1.4316729072261647},
    {0.38221982766726303, -1.336101618077036, 1.8756977184016448, -0.06572757101304408,
     -0.5587287160106847, 1.3968785368973573},
    {0.34657095185569226, -1.3796393032491217, 1.8401268155980013, -0.09270017197479871,
     -0.5135479026377453, 1.3661957479730946},
    {0.33045663772375505, -1.4134311155882684, 1.799769734052692, -0.09553080788060676,
     -0.47721021517730045, 1.357716156361157},
    {0.3140488784483799, -1.4489385770789325, 1.7582281304710945, -0.0973443929406379,
     -0.4404892646459293, 1.3491527969018142},
};
// torch.optim.Adam(p, lr=0.05, weight_decay=0.1, amsgrad=True)
const Rows kAdamBoth = {
    {0.4500000008333333, -1.2499999986486485, 1.9500000008333334, -0.01999999946581197,
     -0.6500000005813953, 1.4500000004878049},
    {0.4177558638418287, -1.2834861544159861, 1.9028944532111611, -0.033069729730108244,
     -0.6045162607476878, 1.4235415612058155},
    {0.37747510068186607, -1.3241477442467215, 1.8676782205039428, -0.06568224617054978,
     -0.5573636589767338, 1.3856590664343924},
    {0.3401233753016291, -1.3628399240241043, 1.8275494465316662, -0.09254165121271395,
     -0.511542679618218, 1.3509531209795145},
    {0.3210191968075867, -1.3856623951985187, 1.784397597841906, -0.09518188760073078,
     -0.47357027272135793, 1.3360997210015801},
    {0.3015727512809538, -1.4099269576392344, 1.740387845067791, -0.09673772626869365,
     -0.43530077617007557, 1.3206873615182733},
};
// torch.optim.Adam(p, lr=0.05, betas=(0.8, 0.95), eps=1e-3)
const Rows kAdamBetasEps = {
    {0.4500907441016334, -1.24989816700611, 1.9501246882793017, -0.019946466809421838,
     -0.650063211125158, 1.4500570776255708},
    {0.4232209186988233, -1.2904042703179206, 1.903769498079239, -0.030323409819811055,
     -0.6062507149570429, 1.4342648871671584},
    {0.38344662251749684, -1.3354812203499649, 1.8769142690401732, -0.06416894096125239,
     -0.5592357889038081, 1.3983053683715985},
    {0.3482121599759976, -1.3788631047849942, 1.8413972590809358, -0.09066989995930522,
     -0.5144617943164355, 1.3679413335601784},
    {0.33672543732025684, -1.4097147743674594, 1.7990081601603314, -0.08853355143489594,
     -0.48108341092045465, 1.3642484192112667},
    {0.324107758445451, -1.4432508093688756, 1.7559286792259001, -0.0861109484648853,
     -0.44676498650761426, 1.3596425305307367},
};
// torch.optim.AdamW(p, lr=0.05)  # weight_decay=1e-2 by default
const Rows kAdamWPlain = {
    {0.44975000090909095, -1.2493999989795919, 1.9490000012500002, -0.020014999464094307,
     -0.6496500006329113, 1.4492500005714286},
    {0.42062842581699555, -1.2904324919467105, 1.9024966031177224, -0.03309387224493454,
     -0.6046723782255566, 1.4302000343552845},
    {0.3815421132274964, -1.3342236907936285, 1.8727973622687784, -0.06571503511914102,
     -0.5577595947006085, 1.3946913036414155},
    {0.34570817838642587, -1.3770879774800464, 1.836316769430761, -0.09266721563676746,
     -0.5123074487330433, 1.3633132292872612},
    {0.32943460875870234, -1.410168542680879, 1.7950556299934646, -0.09545189801797113,
     -0.4757392663350866, 1.3541560780395234},
    {0.31287999262545124, -1.4449433219642727, 1.7526354828518356, -0.0972193711769843,
     -0.4388125998975612, 1.3449212283336434},
};
// torch.optim.AdamW(p, lr=0.05, amsgrad=True)
const Rows kAdamWAmsgrad = {
    {0.44975000090909095, -1.2493999989795919, 1.9490000012500002, -0.020014999464094307,
     -0.6496500006329113, 1.4492500005714286},
    {0.42062842581699555, -1.2904324919467105, 1.9024966031177224, -0.03309387224493454,
     -0.6046723782255566, 1.4302000343552845},
    {0.3815421132274964, -1.3342236907936285, 1.8727973622687784, -0.06571503511914102,
     -0.5577595947006085, 1.3946913036414155},
    {0.34570817838642587, -1.3770879774800464, 1.836316769430761, -0.09265472782174188,
     -0.5123074487330433, 1.3633132292872612},
    {0.32943460875870234, -1.410168542680879, 1.7950556299934646, -0.09543957465566164,
     -0.4757392663350866, 1.3541560780395234},
    {0.31287999262545124, -1.4449433219642727, 1.7526354828518356, -0.09720694006468757,
     -0.4388125998975612, 1.3449212283336434},
};
// torch.optim.AdamW(p, lr=0.05, betas=(0.8, 0.95), weight_decay=0.5, amsgrad=True)
const Rows kAdamWStrong = {
    {0.4375000009090909, -1.2199999989795918, 1.90000000125, -0.020749999464094317,
     -0.6325000006329113, 1.4125000005714285},
    {0.40037955144983506, -1.2297715560691014, 1.8059900688556187, -0.03058475418934095,
     -0.5731430325146145, 1.3614625204287072},
    {0.35063987898768734, -1.2440890211887619, 1.7355108612643229, -0.06367778625028112,
     -0.5118644287478124, 1.2914732501713413},
    {0.30744567988511484, -1.2560745727468645, 1.6581222355601615, -0.0879387701367262,
     -0.4547041032694729, 1.2295804198792701},
    {0.28897989199012314, -1.2537821126887527, 1.5750353224547144, -0.08363718534250411,
     -0.41209969677829383, 1.1953610038064049},
    {0.2703244181222086, -1.2543846905942615, 1.4936799832473482, -0.07927898614607265,
     -0.3699291263750903, 1.1612719089464465},
};
// f32 parameters: torch.optim.Adam(p, lr=0.05, weight_decay=0.1, amsgrad=True)
const Rows kAdamBothF32 = {
    {0.45000001788139343, -1.25, 1.9500000476837158, -0.019999997690320015, -0.6499999761581421,
     1.4500000476837158},
    {0.4177558720111847, -1.2834861278533936, 1.9028944969177246, -0.033069729804992676,
     -0.6045162081718445, 1.42354154586792},
    {0.3774751126766205, -1.3241477012634277, 1.8676782846450806, -0.06568224728107452,
     -0.5573636293411255, 1.385659098625183},
    {0.34012338519096375, -1.362839937210083, 1.8275494575500488, -0.0925416499376297,
     -0.5115426778793335, 1.3509531021118164},
    {0.3210192024707794, -1.3856624364852905, 1.7843976020812988, -0.09518188238143921,
     -0.4735702872276306, 1.3360997438430786},
    {0.3015727698802948, -1.4099270105361938, 1.7403877973556519, -0.09673772007226944,
     -0.4353007972240448, 1.3206874132156372},
};
// f32 parameters: torch.optim.AdamW(p, lr=0.05, amsgrad=True)
const Rows kAdamWAmsgradF32 = {
    {0.44974997639656067, -1.249400019645691, 1.9490000009536743, -0.020014997571706772,
     -0.649649977684021, 1.4492499828338623},
    {0.4206283986568451, -1.2904324531555176, 1.902496576309204, -0.03309386968612671,
     -0.6046723127365112, 1.4301999807357788},
    {0.3815420866012573, -1.3342236280441284, 1.8727972507476807, -0.06571502983570099,
     -0.5577595233917236, 1.3946912288665771},
    {0.34570813179016113, -1.377087950706482, 1.836316704750061, -0.09265471994876862,
     -0.512307345867157, 1.36331307888031},
    {0.3294345736503601, -1.4101685285568237, 1.795055627822876, -0.09543956816196442,
     -0.47573915123939514, 1.3541558980941772},
    {0.3128799498081207, -1.4449433088302612, 1.7526354789733887, -0.09720693528652191,
     -0.4388124942779541, 1.3449209928512573},
};

}  // namespace

TEST_CASE("Adam matches torch: plain") {
  check_against_torch(maker<Adam>(AdamOptions{.lr = 0.05}), kAdamPlain);
}

TEST_CASE("Adam matches torch: weight_decay") {
  check_against_torch(maker<Adam>(AdamOptions{.lr = 0.05, .weight_decay = 0.1}), kAdamWeightDecay);
}

TEST_CASE("Adam matches torch: amsgrad") {
  check_against_torch(maker<Adam>(AdamOptions{.lr = 0.05, .amsgrad = true}), kAdamAmsgrad);
}

TEST_CASE("Adam matches torch: weight_decay + amsgrad") {
  check_against_torch(maker<Adam>(AdamOptions{.lr = 0.05, .weight_decay = 0.1, .amsgrad = true}),
                      kAdamBoth);
}

TEST_CASE("Adam matches torch: betas + eps") {
  check_against_torch(maker<Adam>(AdamOptions{.lr = 0.05, .betas = {0.8, 0.95}, .eps = 1e-3}),
                      kAdamBetasEps);
}

TEST_CASE("AdamW matches torch: plain (default weight_decay 1e-2)") {
  CHECK(AdamWOptions{}.weight_decay == 1e-2);
  check_against_torch(maker<AdamW>(AdamWOptions{.lr = 0.05}), kAdamWPlain);
}

TEST_CASE("AdamW matches torch: amsgrad") {
  check_against_torch(maker<AdamW>(AdamWOptions{.lr = 0.05, .amsgrad = true}), kAdamWAmsgrad);
}

TEST_CASE("AdamW matches torch: betas + strong weight_decay + amsgrad") {
  const AdamWOptions o{.lr = 0.05, .betas = {0.8, 0.95}, .weight_decay = 0.5, .amsgrad = true};
  check_against_torch(maker<AdamW>(o), kAdamWStrong);
}

TEST_CASE("Adam and AdamW match torch in f32") {
  check_against_torch(maker<Adam>(AdamOptions{.lr = 0.05, .weight_decay = 0.1, .amsgrad = true}),
                      kAdamBothF32, xg::f32, 1e-6);
  check_against_torch(maker<AdamW>(AdamWOptions{.lr = 0.05, .amsgrad = true}), kAdamWAmsgradF32,
                      xg::f32, 1e-6);
}

TEST_CASE("Adam defaults are PyTorch's") {
  const AdamOptions o;
  CHECK(o.lr == 1e-3);
  CHECK(o.betas[0] == 0.9);
  CHECK(o.betas[1] == 0.999);
  CHECK(o.eps == 1e-8);
  CHECK(o.weight_decay == 0.0);
  CHECK(!o.amsgrad);
  Problem pr = make_problem(xg::f64);
  Adam opt(pr.params());
  CHECK(opt.lr() == 1e-3);
  CHECK(opt.option("beta2") == 0.999);
  CHECK(opt.option_names() ==
        std::vector<std::string>{"lr", "beta1", "beta2", "eps", "weight_decay", "amsgrad"});
}

namespace {

// One definition of the options serves both: AdamWOptions differs only in its default.
template <double WeightDecay>
std::vector<std::string> names_of(const xg::optim::AdamFamilyOptions<WeightDecay>& o) {
  std::vector<std::string> names;
  auto copy = o;
  decltype(copy)::visit(copy, [&](const char* n, auto&) { names.emplace_back(n); });
  return names;
}

}  // namespace

TEST_CASE("AdamWOptions is AdamOptions with weight decay 1e-2 by default") {
  const AdamOptions adam;
  const AdamWOptions adamw;
  CHECK(names_of(adam) == names_of(adamw));
  CHECK(adamw.weight_decay == 1e-2);
  CHECK(adamw.lr == adam.lr);
  CHECK(adamw.betas == adam.betas);
  CHECK(adamw.eps == adam.eps);
  CHECK(adamw.amsgrad == adam.amsgrad);
}

TEST_CASE("Adam and AdamW option checks") {
  using xg::ValueError;
  using xg::test::check_throws;
  Problem pr = make_problem(xg::f64);
  check_throws<ValueError>([&] { Adam opt(pr.params(), {.lr = -1e-3}); },
                           {"Adam", "invalid lr = -0.001", ">= 0"});
  check_throws<ValueError>(
      [&] {
        Adam opt(pr.params(), {.betas = {1.0, 0.999}});
      },
      {"Adam", "invalid betas[0] = 1", "[0, 1)"});
  check_throws<ValueError>(
      [&] {
        Adam opt(pr.params(), {.betas = {0.9, -0.1}});
      },
      {"Adam", "invalid betas[1] = -0.1", "[0, 1)"});
  check_throws<ValueError>([&] { Adam opt(pr.params(), {.eps = -1e-8}); },
                           {"Adam", "invalid eps = -1e-08"});
  check_throws<ValueError>([&] { Adam opt(pr.params(), {.weight_decay = -0.1}); },
                           {"Adam", "invalid weight_decay = -0.1"});
  check_throws<ValueError>(
      [&] {
        AdamW opt(pr.params(), {.betas = {0.9, 1.5}});
      },
      {"AdamW", "invalid betas[1] = 1.5"});
  check_throws<ValueError>([&] { AdamW opt(std::vector<xg::Tensor>{}); },
                           {"AdamW: got an empty parameter list"});
  check_throws<ValueError>([&] { Adam opt(pr.params(), {.lr = std::nan("")}); },
                           {"Adam", "invalid lr = nan"});
  // A bad value through the generic setter leaves the option unchanged.
  Adam opt(pr.params(), {.lr = 0.01});
  check_throws<ValueError>([&] { opt.set_option("beta1", 1.0, 0); }, {"Adam", "betas[0] = 1"});
  check_throws<ValueError>([&] { opt.set_option("amsgrad", 0.5, 0); },
                           {"Adam", "amsgrad = 0.5", "0 or 1"});
  check_throws<ValueError>([&] { opt.set_option("momentum", 0.9, 0); },
                           {"Adam", "no option named 'momentum'", "beta1"});
  CHECK(opt.option("beta1") == 0.9);
  CHECK(opt.options().betas[0] == 0.9);
}

TEST_CASE("AdamW decays decoupled from the gradient") {
  // With a zero gradient Adam's update is 0 (m = 0), while AdamW still shrinks p by
  // (1 - lr * weight_decay): the difference PyTorch documents between the two.
  Problem a = make_problem(xg::f64), b = make_problem(xg::f64);
  Adam adam(a.params(), {.lr = 0.1, .weight_decay = 0.5});
  AdamW adamw(b.params(), {.lr = 0.1, .weight_decay = 0.5});
  for (Problem* pr : {&a, &b}) {
    pr->w.set_grad(xg::zeros({2, 2}, {.dtype = xg::f64}));
    pr->b.set_grad(xg::zeros({2}, {.dtype = xg::f64}));
  }
  adamw.step();
  xg::test::check_values(b.w, {0.5 * 0.95, -1.2 * 0.95, 2.0 * 0.95, 0.03 * 0.95}, 1e-15);
  adam.step();
  // Adam folds the decay into the gradient: g = 0.5 p, so every value moves by about lr
  // against its sign (the first Adam step is lr * sign(g) up to eps).
  xg::test::check_values(a.w, {0.4, -1.1, 1.9, -0.07}, 1e-6);
}
