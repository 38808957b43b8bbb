/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _SYNQ_H
#define _SYNQ_H

#include "uapi/synq.h"

#endif /* _SYNQ_H */
