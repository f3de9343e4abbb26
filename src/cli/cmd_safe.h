/* cmd_safe.h — `sleuth safe verify`: the custody check of a Safe multisig transaction.
 * Called by the CLI dispatcher with argv[0] = "safe". Exit status: 0 verified and nothing
 * above low, 1 bad input or usage, 2 a high or critical finding, 3 a medium finding.
 */
#ifndef SLEUTH_CMD_SAFE_H
#define SLEUTH_CMD_SAFE_H

int sl_cmd_safe(int argc, char **argv);

#endif
