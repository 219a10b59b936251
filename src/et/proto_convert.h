// Between the plain node types of node.h and the generated Chakra
// messages: the only place that knows both.
#pragma once

#include "astrasweep/base/error.h"
#include "astrasweep/et/node.h"
#include "et_def.pb.h"

namespace astrasweep::et {

void ToProto(const Node& node, chakra::Node& out);
void ToProto(const GlobalMetadata& metadata, chakra::GlobalMetadata& out);
// Fails on an attribute of a kind AttributeValue does not hold; the
// message names the attribute.
Status FromProto(const chakra::Node& node, Node& out);
Status FromProto(const chakra::GlobalMetadata& metadata, GlobalMetadata& out);

}  // namespace astrasweep::et
