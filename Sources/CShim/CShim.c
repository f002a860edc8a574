// All of CShim is static inline in the header; this file gives the target a unit to compile.
#include "CShim.h"
