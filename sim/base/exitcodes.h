/* Exit codes of every kvtwin command, shared by the layers that decide them. */
#ifndef KVTWIN_BASE_EXITCODES_H
#define KVTWIN_BASE_EXITCODES_H

enum { KVT_EXIT_OK = 0, KVT_EXIT_FAIL = 1, KVT_EXIT_INPUT = 2 };

#endif
