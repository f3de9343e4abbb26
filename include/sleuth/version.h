/* version.h — the one place sleuth's version is written. `sleuth --version` prints it with
 * the store format this build reads and writes (SL_STORE_VERSION in store.h). The version
 * follows semantic versioning; before 1.0 the JSON contract (docs/JSON.md) may still change
 * between minor versions, and each change is listed in that file. */
#ifndef SLEUTH_VERSION_H
#define SLEUTH_VERSION_H

#define SLEUTH_VERSION "0.3.0"

#endif
