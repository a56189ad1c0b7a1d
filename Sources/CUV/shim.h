// libuv, entered only through BFSLoop.
#include <uv.h>
