// The confusion matrix with the calling metric's name in its error messages. Not
// installed; defined in metrics/classification.cpp.
#pragma once

#include <string_view>

#include "metrics/classification.hpp"

namespace xg::metrics::detail {

ConfusionMatrix build_confusion(std::string_view metric, const Labels& y_true, const Labels& y_pred,
                                const Labels& labels);

}  // namespace xg::metrics::detail
