#pragma once
// Umbrella header: everything ksym offers. Include the individual headers
// instead to pay only for what you use.

#include "ksym/arch/targets.hpp"
#include "ksym/arch/traits.hpp"
#include "ksym/batch/batch_reader.hpp"
#include "ksym/core/endian.hpp"
#include "ksym/core/errc.hpp"
#include "ksym/core/kernel_version.hpp"
#include "ksym/core/result.hpp"
#include "ksym/memory/buffer_reader.hpp"
#include "ksym/memory/callback_reader.hpp"
#include "ksym/memory/file_reader.hpp"
#include "ksym/memory/reader.hpp"
#include "ksym/memory/segment_map.hpp"
#include "ksym/symbols/module_era.hpp"
#include "ksym/symbols/nm_type.hpp"
#include "ksym/symbols/st_info.hpp"
#include "ksym/symbols/symbol_attrs.hpp"
