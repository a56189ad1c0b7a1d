// ZooKeeper multi-threaded C client, entered only through BFSCoordination.
// THREADED declares the synchronous API (zoo_create, zoo_get, ...).
#define THREADED 1
#include <zookeeper/zookeeper.h>
// ZOO_OPEN_ACL_UNSAFE is a mutable C global, which Swift 6 refuses to touch directly.
static inline struct ACL_vector *czk_open_acl_unsafe(void) { return &ZOO_OPEN_ACL_UNSAFE; }
