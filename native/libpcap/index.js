'use strict';
// The compiled addon; build.js leaves none behind when the build failed, and then this throws
// MODULE_NOT_FOUND naming mpcap_libpcap.node (mpcap's live -i says what to do).
module.exports = require('./build/Release/mpcap_libpcap.node');
