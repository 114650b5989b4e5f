/* ketsim: simulate, plan and follow ketamine and esketamine therapy.
 * The umbrella header: include this one, or the module headers it lists. */
#ifndef KETSIM_H
#define KETSIM_H

#include "ketsim/error.h"
#include "ketsim/units.h"
#include "ketsim/model.h"
#include "ketsim/sim.h"
#include "ketsim/summary.h"
#include "ketsim/io.h"
#include "ketsim/plot.h"
#include "ketsim/regimen.h"
#include "ketsim/fit.h"
#include "ketsim/validate.h"
#include "ketsim/trial.h"
#include "ketsim/pd.h"
#include "ketsim/circuit.h"

#define KETSIM_VERSION_MAJOR 0
#define KETSIM_VERSION_MINOR 1
#define KETSIM_VERSION_PATCH 0

#endif
