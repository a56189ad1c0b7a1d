// libpq, entered only through BFSMetadata.
#include <postgresql/libpq-fe.h>
