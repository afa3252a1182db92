// libmilter's public header. It needs <sys/types.h> and <sys/socket.h> first on Linux.
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <sys/un.h>
#include <libmilter/mfapi.h>
