// corekit.Value and corekit.Type: a value of the program as the evaluator holds it, and its type.
#pragma once

#include "binding.h"

namespace corekit::python {

struct Value {
  State state;
  eval::Value value;
};

}  // namespace corekit::python
