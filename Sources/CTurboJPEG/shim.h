#ifndef CTURBOJPEG_SHIM_H
#define CTURBOJPEG_SHIM_H
/* libjpeg-turbo's TurboJPEG API (libturbojpeg0-dev): header parse now, decode for inference later. */
#include <turbojpeg.h>
#endif
